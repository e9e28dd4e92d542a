package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import io.cqrs.testing.ContractEvents.Happened;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of a store that also implements {@link RelayStore}: publication marks that show in
 * the integration log. The relay's lease and checkpoint are a {@link ProcessorStore}'s claims,
 * which {@link ProcessorStoreContract} covers. An implementation runs it through a one-line
 * subclass:
 *
 * <pre>{@code
 * class MyRelayStoreContractTest extends RelayStoreContract {
 *   protected EventStreamRepository newStore() { return new MyStore(freshNamespace()); }
 * }
 * }</pre>
 */
public abstract class RelayStoreContract {
  private EventStreamRepository store;
  private RelayStore relay;

  /**
   * A store (an {@link EventStreamRepository} that implements {@link RelayStore}) that sees nothing
   * written through earlier calls. Called once before each test.
   */
  protected abstract EventStreamRepository newStore();

  /** The registry of the events this suite writes, for serializing stores. */
  protected static io.cqrs.TypeRegistry contractTypes() {
    return new io.cqrs.TypeRegistry().registerEvents(Happened.class);
  }

  @BeforeEach
  void createStore() {
    store = newStore();
    assertThat(store).isInstanceOf(RelayStore.class);
    relay = (RelayStore) store;
  }

  private List<VersionedEvent> append(String stream, int count) {
    List<VersionedEvent> events = new ArrayList<>();
    long version = store.version(stream);
    for (int i = 0; i < count; i++) {
      events.add(
          new VersionedEvent(
              UUID.randomUUID().toString(),
              "corr-" + stream,
              null,
              stream,
              null,
              null,
              ++version,
              "Happened",
              Instant.parse("2026-01-01T00:00:00Z"),
              new Happened("event " + version, (int) version),
              Map.of()));
    }
    store.save(stream, version - count, events);
    return events;
  }

  @Test
  void committed_events_are_unpublished_until_marked() {
    append("stream-a", 3);

    assertThat(store.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(false, false, false);
  }

  @Test
  void marked_events_show_as_published_in_the_log_and_others_do_not() {
    append("stream-a", 3);
    append("stream-b", 2);

    relay.markPublished("stream-a", 1, 2);
    relay.markPublished("stream-a", 1, 2);

    List<LoggedEvent> log = store.readLog(1, 10);
    assertThat(log)
        .extracting(
            entry ->
                entry.event().sourceId() + "@" + entry.event().version() + "=" + entry.published())
        .containsExactly(
            "stream-a@1=true",
            "stream-a@2=true",
            "stream-a@3=false",
            "stream-b@1=false",
            "stream-b@2=false");
  }

  @Test
  void a_mark_sent_without_waiting_shows_in_the_log_once_its_stage_completes() throws Exception {
    append("stream-a", 3); // one commit, 1..3, just saved through this store
    append("stream-a", 2); // 4..5
    append("stream-b", 2); // 1..2
    append("stream-b", 1); // 3

    relay.markPublishedAsync("stream-a", 1, 3).toCompletableFuture().get(10, TimeUnit.SECONDS);
    // a range over two commits, and one that runs past the stream's end
    relay.markPublishedAsync("stream-b", 1, 9).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(store.readLog(1, 10))
        .extracting(
            entry ->
                entry.event().sourceId() + "@" + entry.event().version() + "=" + entry.published())
        .containsExactly(
            "stream-a@1=true",
            "stream-a@2=true",
            "stream-a@3=true",
            "stream-a@4=false",
            "stream-a@5=false",
            "stream-b@1=true",
            "stream-b@2=true",
            "stream-b@3=true");
  }

  @Test
  void integration_events_outside_streams_are_never_waiting_for_the_relay() {
    store.recordIntegrationEvent(
        new VersionedEvent(
            UUID.randomUUID().toString(),
            "corr-x",
            "cmd-1",
            "cmd-1",
            null,
            null,
            0,
            "CommandFailed",
            Instant.now(),
            new CommandFailed("cmd-1", "Debit", "Boom", "no"),
            Map.of()));

    assertThat(store.readLog(1, 10)).extracting(LoggedEvent::published).containsExactly(true);
  }

  @Test
  void the_store_also_keeps_the_relays_lease_and_checkpoint_as_a_processor_store() {
    // EventRelay takes its lease as a fenced claim: without a ProcessorStore it cannot run.
    assertThat(store).isInstanceOf(ProcessorStore.class);
  }

  @Test
  void bad_arguments_are_rejected_naming_the_argument() {
    assertThatThrownBy(() -> relay.markPublished("stream-a", 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fromVersion");
    assertThatThrownBy(() -> relay.markPublishedAsync("stream-a", 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fromVersion");
    assertThatThrownBy(() -> relay.markPublishedAsync("stream-a", 3, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("toVersion");
  }
}
