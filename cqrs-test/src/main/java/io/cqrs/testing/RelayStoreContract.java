package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.RelayStore;
import io.cqrs.testing.ContractEvents.Happened;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of a store that also implements {@link RelayStore}: publication marks that show in
 * the integration log, leases that exclude each other and expire, and checkpoints that never go
 * back. An implementation runs it through a one-line subclass:
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
  void a_lease_held_by_one_owner_is_refused_to_another_until_released() {
    assertThat(relay.tryAcquireLease("relay", "first", Duration.ofMinutes(1))).isTrue();
    assertThat(relay.tryAcquireLease("relay", "second", Duration.ofMinutes(1))).isFalse();
    assertThat(relay.tryAcquireLease("relay", "first", Duration.ofMinutes(1))).isTrue();
    assertThat(relay.tryAcquireLease("other-relay", "second", Duration.ofMinutes(1))).isTrue();

    relay.releaseLease("relay", "second");
    assertThat(relay.tryAcquireLease("relay", "second", Duration.ofMinutes(1))).isFalse();

    relay.releaseLease("relay", "first");
    assertThat(relay.tryAcquireLease("relay", "second", Duration.ofMinutes(1))).isTrue();
  }

  @Test
  void a_lease_that_is_not_renewed_expires_and_another_owner_takes_it() {
    assertThat(relay.tryAcquireLease("relay", "first", Duration.ofSeconds(1))).isTrue();
    assertThat(relay.tryAcquireLease("relay", "second", Duration.ofSeconds(1))).isFalse();

    Await.until(
        Duration.ofSeconds(10),
        "the expired lease to pass to the second owner",
        () -> relay.tryAcquireLease("relay", "second", Duration.ofMinutes(1)));
    assertThat(relay.tryAcquireLease("relay", "first", Duration.ofSeconds(1))).isFalse();
  }

  @Test
  void checkpoints_start_at_zero_and_never_go_back() {
    assertThat(relay.readCheckpoint("relay")).isZero();

    relay.saveCheckpoint("relay", 7);
    relay.saveCheckpoint("relay", 5);
    relay.saveCheckpoint("other", 2);

    assertThat(relay.readCheckpoint("relay")).isEqualTo(7);
    assertThat(relay.readCheckpoint("other")).isEqualTo(2);
  }

  @Test
  void bad_arguments_are_rejected_naming_the_argument() {
    assertThatThrownBy(() -> relay.tryAcquireLease("relay", "first", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl");
    assertThatThrownBy(() -> relay.tryAcquireLease(null, "first", Duration.ofSeconds(1)))
        .hasMessageContaining("lease");
    assertThatThrownBy(() -> relay.saveCheckpoint("relay", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("position");
    assertThatThrownBy(() -> relay.markPublished("stream-a", 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fromVersion");
  }
}
