package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.DuplicateCommandException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store's indexes are built for a small allocation per command (issue 14): the log in
 * small chunks with a correlation chain through it, and each stream's command ids in a field and
 * then an open-addressing table. These tests pin down what they answer when they span many chunks
 * and grow their tables many times.
 */
class InMemoryIndexesTest {
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();

  private static VersionedEvent event(String stream, long version, String correlationId) {
    return new VersionedEvent(
        stream + "@" + version,
        correlationId,
        null,
        stream,
        null,
        null,
        version,
        "Long",
        Instant.EPOCH,
        version,
        Map.of());
  }

  @Test
  void events_by_correlation_id_come_back_in_commit_order_across_many_chunks() {
    Map<String, List<String>> expected = new HashMap<>();
    int streams = 700;
    for (int i = 0; i < streams; i++) {
      String stream = "s" + i;
      // Two commits per stream, so a stream's events sit far apart in the log.
      for (int commit = 0; commit < 2; commit++) {
        String correlation = "c" + (i * 7 + commit) % 300;
        List<VersionedEvent> events =
            List.of(
                event(stream, commit * 2 + 1, correlation),
                event(stream, commit * 2 + 2, correlation));
        store.save(stream, commit * 2, events);
        events.forEach(
            e -> expected.computeIfAbsent(correlation, c -> new ArrayList<>()).add(e.id()));
      }
      if (i % 50 == 0) {
        VersionedEvent failure = event("command-" + i, 0, "c" + i % 300);
        store.recordIntegrationEvent(failure);
        expected.get("c" + i % 300).add(failure.id());
      }
    }

    assertThat(expected).hasSize(300);
    expected.forEach(
        (correlation, ids) ->
            assertThat(store.eventsByCorrelationId(correlation))
                .extracting(VersionedEvent::id)
                .as(correlation)
                .containsExactlyElementsOf(ids));
    assertThat(store.eventsByCorrelationId("unknown")).isEmpty();
  }

  @Test
  void the_log_reads_back_whole_across_chunk_boundaries() {
    for (int i = 0; i < 1_000; i++) {
      store.save("s" + i, 0, List.of(event("s" + i, 1, "c")));
    }

    List<LoggedEvent> log = new ArrayList<>();
    for (long from = 1; from <= store.logHead(); from += 97) {
      log.addAll(store.readLog(from, 97));
    }

    assertThat(log).hasSize(1_000);
    for (int i = 0; i < 1_000; i++) {
      assertThat(log.get(i).position()).isEqualTo(i + 1L);
      assertThat(log.get(i).event().sourceId()).isEqualTo("s" + i);
    }
    assertThat(store.eventsByCorrelationId("c")).hasSize(1_000);
  }

  @Test
  void a_stream_refuses_every_command_whose_effect_it_holds() {
    int commands = 200;
    for (int i = 0; i < commands; i++) {
      store.save(new StreamAppend("s", i, List.of(event("s", i + 1, "c")), "command-" + i, null));
    }

    for (int i = 0; i < commands; i++) {
      int version = commands;
      String commandId = "command-" + i;
      assertThatThrownBy(
              () ->
                  store.save(
                      new StreamAppend(
                          "s", version, List.of(event("s", version + 1, "c")), commandId, null)))
          .isInstanceOf(DuplicateCommandException.class);
    }
    store.save(
        new StreamAppend(
            "s", commands, List.of(event("s", commands + 1, "c")), "command-new", null));
    assertThat(store.version("s")).isEqualTo(commands + 1L);
  }
}
