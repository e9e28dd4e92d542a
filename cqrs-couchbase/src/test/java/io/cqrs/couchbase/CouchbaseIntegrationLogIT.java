package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static io.cqrs.couchbase.TestEvents.ids;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CouchbaseIntegrationLogIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository repository = repository();

  @Test
  void the_log_returns_every_committed_event_in_commit_order_with_increasing_positions() {
    List<VersionedEvent> committed = new ArrayList<>();
    committed.addAll(save("a", 0, 2));
    committed.addAll(save("b", 0, 1));
    committed.addAll(save("a", 2, 3));

    List<LoggedEvent> log = repository.readLog(1, 100);

    assertThat(log).extracting(LoggedEvent::event).containsExactlyElementsOf(committed);
    for (int i = 1; i < log.size(); i++) {
      assertThat(log.get(i).position()).isGreaterThan(log.get(i - 1).position());
    }
    assertThat(repository.readLog(log.get(log.size() - 1).position() + 1, 100)).isEmpty();
  }

  @Test
  void reading_resumes_after_the_last_position_read_even_inside_a_commit() {
    List<VersionedEvent> committed = new ArrayList<>(save("a", 0, 3));
    committed.addAll(save("b", 0, 2));

    List<VersionedEvent> read = new ArrayList<>();
    long from = 1;
    for (List<LoggedEvent> page = repository.readLog(from, 2);
        !page.isEmpty();
        page = repository.readLog(from, 2)) {
      assertThat(page).hasSizeLessThanOrEqualTo(2);
      page.forEach(entry -> read.add(entry.event()));
      from = page.get(page.size() - 1).position() + 1;
    }
    assertThat(read).containsExactlyElementsOf(committed);
  }

  @Test
  void integration_events_are_logged_and_found_by_correlation_id_with_stream_events() {
    List<VersionedEvent> stream = batch("a", 0, 2, "corr-1");
    repository.save("a", 0, stream);
    VersionedEvent failure =
        TestEvents.event("a", 0, new TestEvents.Noted("command failed"), "corr-1");
    repository.recordIntegrationEvent(failure);
    repository.save("b", 0, batch("b", 0, 1, "corr-2"));

    assertThat(repository.readLog(1, 100)).extracting(LoggedEvent::event).contains(failure);
    List<VersionedEvent> correlated = new ArrayList<>(stream);
    correlated.add(failure);
    assertThat(repository.eventsByCorrelationId("corr-1")).containsExactlyElementsOf(correlated);
    assertThat(repository.eventsByCorrelationId("corr-2")).hasSize(1);
    assertThat(repository.eventsByCorrelationId("corr-none")).isEmpty();
  }

  @Test
  void a_batch_with_several_correlation_ids_is_indexed_under_each_of_them() {
    List<VersionedEvent> events =
        List.of(
            TestEvents.event("a", 1, new TestEvents.Deposited(1), "corr-x"),
            TestEvents.event("a", 2, new TestEvents.Deposited(2), "corr-y"));
    repository.save("a", 0, events);

    assertThat(repository.eventsByCorrelationId("corr-x")).containsExactly(events.get(0));
    assertThat(repository.eventsByCorrelationId("corr-y")).containsExactly(events.get(1));
  }

  @Test
  void a_very_long_correlation_id_is_indexed_under_a_hashed_key() {
    String longId = "c".repeat(400);
    List<VersionedEvent> events = batch("a", 0, 1, longId);
    repository.save("a", 0, events);

    assertThat(keys.correlation(longId)).contains("::corrh::");
    assertThat(repository.eventsByCorrelationId(longId)).containsExactlyElementsOf(events);
  }

  @Test
  void a_position_taken_but_never_written_is_closed_after_the_grace_period_and_skipped() {
    List<VersionedEvent> before = save("a", 0, 1);
    long abandoned = kv.increment(keys.sequence()); // a writer took a position, then died
    List<VersionedEvent> after = save("a", 1, 1);

    List<LoggedEvent> first = repository.readLog(1, 100);
    // Nothing past the unsettled position is returned while it might still be written.
    assertThat(first).extracting(LoggedEvent::event).containsExactlyElementsOf(before);

    List<LoggedEvent> second = repository.readLog(first.get(0).position() + 1, 100);
    assertThat(second).extracting(LoggedEvent::event).containsExactlyElementsOf(after);
    assertThat(raw(keys.log(abandoned)))
        .hasValueSatisfying(doc -> assertThat(doc).contains("\"x\""));
    // The late writer's insert now fails: the position can never hold a commit.
    assertThat(kv.insert(keys.log(abandoned), codec.commit("a", batch("a", 1, 1)))).isZero();
  }

  @Test
  void a_writer_whose_position_was_closed_as_a_gap_commits_under_a_new_one() {
    long next = kv.counter(keys.sequence()) + 1;
    kv.insert(keys.log(next), codec.marker(DocumentCodec.GAP)); // a reader gave up on it

    List<VersionedEvent> events = save("a", 0, 2);

    assertThat(repository.load("a")).containsExactlyElementsOf(events);
    assertThat(repository.readLog(1, 100))
        .extracting(LoggedEvent::event)
        .containsExactlyElementsOf(events);
    assertThat(kv.counter(keys.sequence())).isEqualTo(next + 1);
  }

  @Test
  void a_prepared_commit_whose_writer_died_is_completed_by_the_log_reader() {
    // The writer checked the stream, stored its commit, then died before claiming version 1.
    List<VersionedEvent> events = batch("a", 0, 2, "corr-p");
    long seq = kv.increment(keys.sequence());
    Kv.await(kv.appendAsync(keys.correlation("corr-p"), "q", seq), "append");
    kv.insert(keys.log(seq), codec.commit("a", events));
    assertThat(repository.version("a")).isZero();

    assertThat(repository.readLog(1, 100))
        .extracting(LoggedEvent::event)
        .containsExactlyElementsOf(events);
    assertThat(repository.version("a")).isEqualTo(2);
    assertThat(repository.load("a")).containsExactlyElementsOf(events);
    assertThat(repository.eventsByCorrelationId("corr-p")).containsExactlyElementsOf(events);
  }

  @Test
  void a_commit_that_lost_its_version_to_another_writer_is_never_read() {
    List<VersionedEvent> winner = save("a", 0, 1);
    // A loser stored its commit for version 1 too, then died before learning that it lost.
    List<VersionedEvent> loser = batch("a", 0, 1, winner.get(0).correlationId());
    long seq = kv.increment(keys.sequence());
    Kv.await(kv.appendAsync(keys.correlation(winner.get(0).correlationId()), "q", seq), "append");
    kv.insert(keys.log(seq), codec.commit("a", loser));

    assertThat(repository.readLog(1, 100))
        .extracting(LoggedEvent::event)
        .containsExactlyElementsOf(winner);
    assertThat(repository.eventsByCorrelationId(winner.get(0).correlationId()))
        .containsExactlyElementsOf(winner);
    assertThat(ids(repository.load("a"))).isEqualTo(ids(winner));
  }

  @Test
  void the_index_records_each_commits_cause_beside_its_sequence() throws Exception {
    VersionedEvent first = caused("a", 1, "corr-c", "cmd-1");
    repository.save("a", 0, List.of(first));
    repository.save("b", 0, List.of(caused("b", 1, "corr-c", "cmd-2")));
    // Two causes in one commit: its entry's cause is unknown.
    repository.save(
        "c", 0, List.of(caused("c", 1, "corr-c", "cmd-3"), caused("c", 2, "corr-c", "cmd-4")));

    JsonNode index = new ObjectMapper().readTree(raw(keys.correlation("corr-c")).orElseThrow());
    assertThat(index.get("q")).hasSize(3);
    assertThat(index.get("c").toString())
        .isEqualTo(
            "[\""
                + KeyLayout.causeTag("cmd-1")
                + "\",\""
                + KeyLayout.causeTag("cmd-2")
                + "\",null]");
    assertThat(repository.eventsCausedBy("corr-c", "cmd-1")).containsExactly(first);
    assertThat(repository.eventsCausedBy("corr-c", "cmd-4"))
        .extracting(VersionedEvent::sourceId)
        .containsExactly("c");
  }

  @Test
  void commits_indexed_without_their_cause_are_still_found_by_cause() {
    // A commit indexed as an earlier layout did ("q" alone), whose writer died before claiming it;
    // the log reader completes it, indexing it again with its cause.
    VersionedEvent old = caused("a", 1, "corr-l", "cmd-1");
    long seq = kv.increment(keys.sequence());
    Kv.await(kv.appendAsync(keys.correlation("corr-l"), "q", seq), "append");
    kv.insert(keys.log(seq), codec.commit("a", List.of(old)));
    assertThat(repository.readLog(1, 100)).extracting(LoggedEvent::event).containsExactly(old);
    // Then commits indexed with their causes, which no longer line up with the sequences.
    VersionedEvent next = caused("a", 2, "corr-l", "cmd-2");
    repository.save("a", 1, List.of(next));

    assertThat(repository.eventsCausedBy("corr-l", "cmd-1")).containsExactly(old);
    assertThat(repository.eventsCausedBy("corr-l", "cmd-2")).containsExactly(next);
    assertThat(repository.eventsCausedBy("corr-l", "cmd-3")).isEmpty();
    assertThat(repository.eventsByCorrelationId("corr-l")).containsExactly(old, next);
  }

  /** Event {@code version} of a stream under {@code correlationId}, caused by {@code cause}. */
  private static VersionedEvent caused(
      String stream, long version, String correlationId, String cause) {
    return VersionedEvent.builder(stream, version, new TestEvents.Deposited(version))
        .correlationId(correlationId)
        .causationId(cause)
        .build();
  }

  private List<VersionedEvent> save(String stream, long expected, int count) {
    List<VersionedEvent> events = batch(stream, expected, count);
    repository.save(stream, expected, events);
    return events;
  }
}
