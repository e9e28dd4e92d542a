package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.Snapshot;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A snapshot above its stream's end (written by hand, or of commits lost after they were
 * acknowledged): the save that finds the stream behind the version it loaded discards it, so no
 * process adopts it later, and good snapshots written since are used (a review of an earlier fix,
 * which skipped the snapshot in that process alone, found both).
 */
class SnapshotAboveStreamEndTest {
  private static final TypeRegistry TYPES = Wallet.types();

  /** Records the fromVersion of every loadStream. */
  static final class Recording extends ForwardingEventStreamRepository {
    final List<Long> loadsFrom = new CopyOnWriteArrayList<>();

    Recording(InMemoryEventStreamRepository delegate) {
      super(delegate);
    }

    @Override
    public EventStream loadStream(String streamId, long fromVersion) {
      loadsFrom.add(fromVersion);
      return super.loadStream(streamId, fromVersion);
    }
  }

  private static void forgeSnapshot(InMemoryEventStreamRepository store, long version) {
    Wallet forged = Wallet.open("w-1", "mallory");
    forged.deposit(new BigDecimal("99"));
    forged.restoreVersion(version);
    Snapshot shape =
        new SnapshotCodec(new EventSerializer(TYPES))
            .write(forged, TypeRegistry.logicalName(Wallet.class));
    store.saveSnapshot(
        new Snapshot(
            "w-1", version, shape.aggregateType(), shape.schema(), shape.state(), Instant.now()));
  }

  private static BigDecimal replayed(InMemoryEventStreamRepository store) {
    return EventSourcingRepository.builder(store, TYPES)
        .snapshotPolicy(SnapshotPolicy.never())
        .build()
        .get("w-1", Wallet::new)
        .balance();
  }

  /** The stream grows past the forged version: nobody restores the forged state then. */
  @Test
  void a_forged_snapshot_is_never_adopted_once_the_stream_grows_past_it() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository a =
        EventSourcingRepository.builder(store, TYPES).cache(AggregateCache.maximumSize(10)).build();
    a.save(Wallet.open("w-1", "ada"), "c-0");
    forgeSnapshot(store, 5);
    a.cache().orElseThrow().invalidateAll(); // a process started since, or an entry evicted

    Wallet forgedLoad = a.get("w-1", Wallet::new);
    forgedLoad.deposit(BigDecimal.ONE);
    assertThatThrownBy(() -> a.save(forgedLoad, "c-x")).isInstanceOf(ConcurrencyException.class);
    for (int i = 0; i < 5; i++) { // the command's retry and later commands succeed now
      Wallet w = a.get("w-1", Wallet::new);
      w.deposit(BigDecimal.ONE);
      a.save(w, "c-" + i);
    }
    assertThat(store.version("w-1")).isEqualTo(6);
    assertThat(replayed(store)).isEqualByComparingTo("5");

    // Another process (or this one restarted) loads the wallet.
    Wallet b = EventSourcingRepository.builder(store, TYPES).build().get("w-1", Wallet::new);
    assertThat(b.balance()).as("what the stream holds").isEqualByComparingTo("5");
  }

  /** After the conflict, good snapshots written later are used again by the same process. */
  @Test
  void after_the_conflict_good_snapshots_of_the_stream_are_used_again() {
    InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();
    Recording store = new Recording(memory);
    EventSourcingRepository a = EventSourcingRepository.builder(store, TYPES).build();
    a.save(Wallet.open("w-1", "ada"), "c-0");
    forgeSnapshot(memory, 5);
    Wallet forgedLoad = a.get("w-1", Wallet::new);
    forgedLoad.deposit(BigDecimal.ONE);
    assertThatThrownBy(() -> a.save(forgedLoad, "c-x")).isInstanceOf(ConcurrencyException.class);

    // Another process, snapshotting every event, moves the stream far on with good snapshots.
    EventSourcingRepository b =
        EventSourcingRepository.builder(memory, TYPES)
            .snapshotPolicy(SnapshotPolicy.every(1))
            .build();
    for (int i = 0; i < 20; i++) {
      Wallet w = b.get("w-1", Wallet::new);
      w.deposit(BigDecimal.ONE);
      try {
        b.save(w, "b-" + i);
      } catch (ConcurrencyException e) { // b's one conflict on the forged snapshot: retry
        w = b.get("w-1", Wallet::new);
        w.deposit(BigDecimal.ONE);
        b.save(w, "b-" + i);
      }
    }
    assertThat(memory.loadSnapshot("w-1").orElseThrow().version()).isEqualTo(21);

    store.loadsFrom.clear();
    a.get("w-1", Wallet::new);
    assertThat(store.loadsFrom)
        .as("a load after a good snapshot at 21 reads from it, not from version 1")
        .allSatisfy(from -> assertThat(from).isGreaterThan(1L));
  }
}
