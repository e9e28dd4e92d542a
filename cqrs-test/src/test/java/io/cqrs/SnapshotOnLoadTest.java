package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.Snapshot;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A load that replayed past where the snapshot policy wanted a snapshot writes it: a stream written
 * before the policy, one whose snapshot is of another shape, one whose snapshot write failed. Each
 * would otherwise be replayed whole by every load until a save crossed the policy's next multiple.
 */
class SnapshotOnLoadTest {
  private static final BigDecimal ONE = BigDecimal.ONE;

  /** The store, recording the first version of every stream load and every snapshot written. */
  private static final class Recording extends ForwardingEventStreamRepository {
    final List<Long> loadedFrom = new ArrayList<>();
    final List<Long> snapshotsAt = new ArrayList<>();
    final AtomicInteger failSnapshots = new AtomicInteger();
    final AtomicInteger snapshotAttempts = new AtomicInteger();
    volatile boolean failEverySnapshot;
    volatile String storedState; // non-null: what every snapshot written holds instead of its state

    Recording(InMemoryEventStreamRepository store) {
      super(store);
    }

    @Override
    public EventStream loadStream(String streamId, long fromVersion) {
      loadedFrom.add(fromVersion);
      return super.loadStream(streamId, fromVersion);
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
      snapshotAttempts.incrementAndGet();
      if (failEverySnapshot) {
        throw new SerializationException("this state cannot be written");
      }
      if (failSnapshots.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new TransientCqrsException("the store is away");
      }
      snapshotsAt.add(snapshot.version());
      String state = storedState;
      super.saveSnapshot(
          state == null
              ? snapshot
              : new Snapshot(
                  snapshot.streamId(),
                  snapshot.version(),
                  snapshot.aggregateType(),
                  snapshot.schema(),
                  state,
                  snapshot.created()));
    }
  }

  private final InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();
  private final Recording store = new Recording(memory);

  private EventSourcingRepository repository(SnapshotPolicy policy) {
    return EventSourcingRepository.builder(store, Wallet.types()).snapshotPolicy(policy).build();
  }

  /** A wallet of {@code events} events, saved without snapshots. */
  private void wallet(String id, int events) {
    Wallet wallet = Wallet.open(id, "ada");
    for (int i = 1; i < events; i++) {
      wallet.deposit(ONE);
    }
    repository(SnapshotPolicy.never()).save(wallet, "c");
  }

  @Test
  void
      a_stream_written_before_the_policy_is_snapshotted_by_its_first_load_and_read_from_it_after() {
    wallet("w", 150);
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));

    every100.get("w", Wallet::new);
    Wallet again = every100.get("w", Wallet::new);

    assertThat(store.snapshotsAt).containsExactly(150L);
    assertThat(store.loadedFrom).containsExactly(1L, 151L);
    assertThat(again.balance()).isEqualByComparingTo("149");
    assertThat(again.version()).isEqualTo(150);
  }

  @Test
  void a_load_within_the_interval_of_its_snapshot_writes_none() {
    wallet("short", 99);
    wallet("w", 150);
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));
    every100.get("w", Wallet::new); // the snapshot at 150
    Wallet wallet = every100.get("w", Wallet::new);
    for (int i = 0; i < 30; i++) {
      wallet.deposit(ONE);
    }
    repository(SnapshotPolicy.never()).save(wallet, "c"); // 180: the same interval as 150
    store.snapshotsAt.clear();

    every100.get("w", Wallet::new);
    every100.get("short", Wallet::new);
    repository(SnapshotPolicy.never()).get("w", Wallet::new);
    repository(SnapshotPolicy.whenSuggested()).get("w", Wallet::new);

    assertThat(store.snapshotsAt).isEmpty();
  }

  @Test
  void a_snapshot_of_another_shape_is_replaced_by_the_load_that_ignored_it() {
    wallet("w", 120);
    Snapshot other =
        new Snapshot(
            "w", 100, TypeRegistry.logicalName(Wallet.class), "another-shape", "{}", Instant.now());
    memory.saveSnapshot(other);
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));

    Wallet loaded = every100.get("w", Wallet::new);
    every100.get("w", Wallet::new);

    assertThat(loaded.balance()).isEqualByComparingTo("119");
    assertThat(store.snapshotsAt).containsExactly(120L);
    Optional<Snapshot> now = memory.loadSnapshot("w");
    assertThat(now).get().extracting(Snapshot::schema).isNotEqualTo("another-shape");
    assertThat(store.loadedFrom).containsExactly(1L, 121L);
  }

  @Test
  void a_snapshot_write_that_fails_fails_no_load_and_the_next_load_writes_it() {
    wallet("w", 100);
    store.failSnapshots.set(1);
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));

    Wallet first = every100.get("w", Wallet::new);
    every100.get("w", Wallet::new);
    every100.get("w", Wallet::new);

    assertThat(first.version()).isEqualTo(100);
    assertThat(store.snapshotsAt).containsExactly(100L);
    assertThat(store.loadedFrom).containsExactly(1L, 1L, 101L);
  }

  @Test
  void a_snapshot_that_cannot_be_read_back_is_written_once_per_version_not_by_every_load() {
    wallet("w", 150);
    store.storedState = "{not json"; // written, but no load can read it
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));

    for (int i = 0; i < 4; i++) {
      assertThat(every100.get("w", Wallet::new).balance()).isEqualByComparingTo("149");
    }

    assertThat(store.snapshotsAt).containsExactly(150L);
    // A later version is another: written once more.
    Wallet wallet = every100.get("w", Wallet::new);
    wallet.deposit(ONE);
    repository(SnapshotPolicy.never()).save(wallet, "c");
    every100.get("w", Wallet::new);
    every100.get("w", Wallet::new);
    assertThat(store.snapshotsAt).containsExactly(150L, 151L);
  }

  @Test
  void a_snapshot_that_cannot_be_written_is_tried_once_per_version_and_fails_no_load() {
    wallet("w", 150);
    store.failEverySnapshot = true;
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));

    for (int i = 0; i < 4; i++) {
      assertThat(every100.get("w", Wallet::new).version()).isEqualTo(150);
    }

    assertThat(store.snapshotAttempts).hasValue(1);
  }

  @Test
  void a_snapshot_the_other_revision_ignores_costs_each_repository_one_write_per_version() {
    wallet("w", 150);
    EventSourcingRepository every100 = repository(SnapshotPolicy.every(100));
    every100.get("w", Wallet::new); // writes the current shape's snapshot at 150
    for (int i = 0; i < 3; i++) {
      // The other revision of the class, in another process, writes its shape over it ...
      memory.saveSnapshot(
          new Snapshot(
              "w",
              150,
              TypeRegistry.logicalName(Wallet.class),
              "the-other-revision",
              "{}",
              Instant.now()));
      // ... which this one ignores, replays, and does not write again.
      assertThat(every100.get("w", Wallet::new).balance()).isEqualByComparingTo("149");
    }

    assertThat(store.snapshotsAt).containsExactly(150L);
  }
}
