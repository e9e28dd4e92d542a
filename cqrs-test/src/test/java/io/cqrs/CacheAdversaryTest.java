package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.ForwardingEventStreamRepository;
import io.cqrs.testing.OwnThread;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An adversary's attacks on the aggregate cache and snapshots, in memory: two "processes" (two
 * repositories, each with its own cache) over one store, threads parked at each step of a load or
 * save, duplicate deliveries of one command, hostile sizes and ids.
 */
class CacheAdversaryTest {
  record Deposit(String walletId, BigDecimal amount) {}

  private static final TypeRegistry TYPES = Wallet.types().registerCommands(Deposit.class);

  private final ObservedStore store = new ObservedStore();

  /** Parks the thread that saves, right after the store committed and before the save returns. */
  private final ParkingStore parking = new ParkingStore(store);

  private EventSourcingRepository process(AggregateCache cache) {
    EventSourcingRepository.Builder builder =
        EventSourcingRepository.builder(parking, TYPES).snapshotPolicy(SnapshotPolicy.never());
    return cache == null ? builder.build() : builder.cache(cache).build();
  }

  private EventSourcingRepository snapshotting(AggregateCache cache) {
    EventSourcingRepository.Builder builder =
        EventSourcingRepository.builder(parking, TYPES).snapshotPolicy(SnapshotPolicy.every(1));
    return cache == null ? builder.build() : builder.cache(cache).build();
  }

  /** The wallet as the store holds it, replayed whole. */
  private BigDecimal storedBalance(String id) {
    return EventSourcingRepository.builder(store.delegate, TYPES)
        .snapshotPolicy(SnapshotPolicy.never())
        .build()
        .get(id, Wallet::new)
        .balance();
  }

  // ---------------------------------------------------------------------------------------------
  // Two processes over one store

  @Test
  void a_stale_process_sees_every_commit_of_another_and_its_stale_save_writes_nothing() {
    EventSourcingRepository a = process(AggregateCache.maximumSize(10));
    EventSourcingRepository b = process(AggregateCache.maximumSize(10));
    Wallet opened = Wallet.open("w-1", "ada");
    opened.deposit(BigDecimal.ONE);
    a.save(opened, "c-0");
    Wallet stale = a.get("w-1", Wallet::new); // A holds version 2
    for (int i = 0; i < 5; i++) { // B commits 3..9, in five commits of one or two events
      Wallet theirs = b.get("w-1", Wallet::new);
      theirs.deposit(BigDecimal.TEN);
      if (i % 2 == 0) {
        theirs.deposit(BigDecimal.ONE);
      }
      b.save(theirs, "c-b" + i);
    }
    stale.deposit(new BigDecimal("1000"));

    assertThatThrownBy(() -> a.save(stale, "c-a")).isInstanceOf(ConcurrencyException.class);
    assertThat(stale.pendingEvents()).hasSize(1);
    assertThat(store.delegate.version("w-1")).isEqualTo(10);
    assertThat(storedBalance("w-1")).isEqualByComparingTo("54");

    Wallet fresh = a.get("w-1", Wallet::new);
    assertThat(fresh.version()).isEqualTo(10);
    assertThat(fresh.balance()).isEqualByComparingTo("54");
    fresh.deposit(new BigDecimal("1000"));
    a.save(fresh, "c-a2");
    assertThat(b.get("w-1", Wallet::new).balance()).isEqualByComparingTo("1054");
    assertThat(storedBalance("w-1")).isEqualByComparingTo("1054");
  }

  // ---------------------------------------------------------------------------------------------
  // A thread parked at a step of a save or a load

  /**
   * A writer committed version 2 and is parked before its save puts it in the cache; meanwhile the
   * same process loads and saves version 3 and another process saves version 4. When the slow
   * writer's entry arrives it must not hide anything from later loads.
   */
  @Test
  void a_writer_parked_between_its_commit_and_the_cache_update_hides_no_commit() throws Exception {
    AggregateCache cache = AggregateCache.maximumSize(10);
    EventSourcingRepository a = process(cache);
    EventSourcingRepository other = process(null);
    a.save(Wallet.open("w-1", "ada"), "c-1");
    Wallet slow = a.get("w-1", Wallet::new);
    slow.deposit(BigDecimal.ONE);
    CountDownLatch committed = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread test = Thread.currentThread();
    parking.afterSave =
        id -> {
          if (Thread.currentThread() != test) {
            committed.countDown();
            await(release);
          }
        };
    CompletableFuture<Void> writer = OwnThread.runAsync(() -> a.save(slow, "c-2"));
    await(committed);
    Wallet next = a.get("w-1", Wallet::new); // entry at 1: reads 2 after it, caches 2
    next.deposit(BigDecimal.TEN);
    a.save(next, "c-3"); // caches 3
    Wallet elsewhere = other.get("w-1", Wallet::new);
    elsewhere.deposit(new BigDecimal("100"));
    other.save(elsewhere, "c-4");
    release.countDown();
    writer.get(10, TimeUnit.SECONDS);

    Wallet loaded = a.get("w-1", Wallet::new);
    assertThat(loaded.version()).isEqualTo(4);
    assertThat(loaded.balance()).isEqualByComparingTo("111");
  }

  /**
   * A snapshot of version 2 is written (parked in the snapshot write) while another process commits
   * version 3: loads through a cache and loads from the snapshot both see version 3.
   */
  @Test
  void a_snapshot_written_while_another_process_commits_hides_nothing() throws Exception {
    EventSourcingRepository a = snapshotting(AggregateCache.maximumSize(10));
    EventSourcingRepository b = snapshotting(null);
    a.save(Wallet.open("w-1", "ada"), "c-1");
    Wallet wallet = a.get("w-1", Wallet::new);
    wallet.deposit(BigDecimal.ONE);
    CountDownLatch snapshotting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread test = Thread.currentThread();
    parking.beforeSnapshot =
        snapshot -> {
          if (Thread.currentThread() != test && snapshot.version() == 2) {
            snapshotting.countDown();
            await(release);
          }
        };
    CompletableFuture<Void> writer = OwnThread.runAsync(() -> a.save(wallet, "c-2"));
    await(snapshotting);
    Wallet theirs = b.get("w-1", Wallet::new); // from the snapshot of 1 and event 2
    theirs.deposit(BigDecimal.TEN);
    b.save(theirs, "c-3"); // its snapshot of 3 goes in first
    release.countDown();
    writer.get(10, TimeUnit.SECONDS);

    assertThat(store.delegate.loadSnapshot("w-1").orElseThrow().version()).isEqualTo(3);
    assertThat(a.get("w-1", Wallet::new).balance()).isEqualByComparingTo("11");
    assertThat(snapshotting(null).get("w-1", Wallet::new).balance()).isEqualByComparingTo("11");
  }

  // ---------------------------------------------------------------------------------------------
  // Dirty aggregates

  @Test
  void an_aggregate_changed_on_one_thread_is_never_what_another_thread_loads() throws Exception {
    EventSourcingRepository a = process(AggregateCache.maximumSize(10));
    a.save(Wallet.open("w-1", "ada"), "c-1");
    Wallet first = a.get("w-1", Wallet::new);
    first.deposit(new BigDecimal("5")); // never saved
    Wallet second = OwnThread.supplyAsync(() -> a.get("w-1", Wallet::new)).get();
    Wallet third = a.get("w-1", Wallet::new);

    assertThat(second).isNotSameAs(first).isNotSameAs(third);
    assertThat(second.balance()).isEqualByComparingTo("0");
    assertThat(third.balance()).isEqualByComparingTo("0");
    assertThat(third.pendingEvents()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Exactly once, with caches in two processes

  enum Park {
    /** After the manager's look-up, before the handler loads. */
    BEFORE_LOAD,
    /** After the load, before the save. */
    AFTER_LOAD,
    /** In the store, before the commit. */
    BEFORE_COMMIT
  }

  /**
   * Two processes with caches, deduplication and checked saves; one command delivered to both, the
   * first parked at each step while the second takes effect. One effect, always.
   */
  @ParameterizedTest
  @EnumSource(Park.class)
  void a_duplicate_delivery_racing_the_first_at_each_step_takes_effect_once(Park park)
      throws Exception {
    for (boolean defer : new boolean[] {false, true}) {
      String id = "w-" + park + "-" + defer;
      EventSourcingRepository first = process(AggregateCache.maximumSize(10));
      EventSourcingRepository second = process(AggregateCache.maximumSize(10));
      first.save(Wallet.open(id, "ada"), "opening");
      first.get(id, Wallet::new); // both caches hold version 1
      second.get(id, Wallet::new);
      CountDownLatch parked = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread test = Thread.currentThread();
      Runnable stop =
          () -> {
            if (Thread.currentThread() != test && parked.getCount() > 0) {
              parked.countDown();
              await(release);
            }
          };
      parking.beforeCommit =
          streamId -> {
            if (park == Park.BEFORE_COMMIT) {
              stop.run();
            }
          };
      CommandDispatchManager slow =
          manager(
              first,
              defer,
              park == Park.BEFORE_LOAD ? stop : () -> {},
              park == Park.AFTER_LOAD ? stop : () -> {});
      CommandDispatchManager fast = manager(second, defer, () -> {}, () -> {});
      Command twice = Command.create(new Deposit(id, BigDecimal.ONE));

      CompletableFuture<Void> delivery =
          OwnThread.runAsync(
              () -> {
                try {
                  slow.dispatch(twice);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      await(parked);
      fast.dispatch(twice);
      release.countDown();
      delivery.get(30, TimeUnit.SECONDS);
      parking.beforeCommit = streamId -> {};

      assertThat(
              store.delegate.load(id).stream()
                  .filter(e -> twice.messageId().equals(e.causationId()))
                  .count())
          .as("effects with deferCacheChecks=%s", defer)
          .isEqualTo(1);
      assertThat(storedBalance(id)).isEqualByComparingTo("1");
      assertThat(first.get(id, Wallet::new).balance()).isEqualByComparingTo("1");
    }
  }

  private CommandDispatchManager manager(
      EventSourcingRepository repository, boolean defer, Runnable beforeLoad, Runnable afterLoad) {
    return CommandDispatchManager.builder(null, TYPES)
        .errorLog(parking)
        .deduplicate(true)
        .lookupProvesEffects(true)
        .deferCacheChecks(defer)
        .build()
        .registerCommandHandler(
            Deposit.class,
            (deposit, command) -> {
              beforeLoad.run();
              Wallet wallet = repository.get(deposit.walletId(), Wallet::new);
              afterLoad.run();
              wallet.deposit(deposit.amount());
              repository.save(wallet, command);
            });
  }

  // ---------------------------------------------------------------------------------------------
  // A class found uncacheable

  /**
   * One wallet whose state cannot be written as a snapshot (a number longer than Jackson reads
   * back) makes the class uncacheable. AggregateCache's javadoc: such a class "is logged once and
   * not cached from then on". The entries of the class's other aggregates must then no longer be
   * served either: saves no longer update them, so each load would replay everything committed
   * since they were made (never a snapshot) for as long as they are read, which keeps them from
   * being evicted.
   */
  @Test
  void entries_of_a_class_found_uncacheable_are_not_served_frozen() {
    AggregateCache cache = AggregateCache.maximumSize(10);
    EventSourcingRepository a =
        EventSourcingRepository.builder(parking, TYPES)
            .snapshotPolicy(SnapshotPolicy.every(5))
            .cache(cache)
            .build();
    a.save(Wallet.open("w-1", "ada"), "c-1");
    a.get("w-1", Wallet::new); // cached at version 1
    Wallet huge = Wallet.open("w-huge", "bob");
    huge.deposit(new BigDecimal("1e2000")); // 2,001 digits as plain text: cannot be written
    a.save(huge, "c-huge"); // committed; its state not cached; Wallet now uncacheable

    for (int i = 0; i < 20; i++) {
      Wallet w = a.get("w-1", Wallet::new);
      w.deposit(BigDecimal.ONE);
      a.save(w, "c-" + i);
    }
    store.calls.clear();
    Wallet loaded = a.get("w-1", Wallet::new);

    assertThat(loaded.balance()).isEqualByComparingTo("20"); // correct, but:
    assertThat(store.calls)
        .as("a load of an uncacheable class reads its snapshot, not 20 events after a frozen entry")
        .doesNotContain("load w-1 after 1");
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots that do not fit the stream

  /**
   * A snapshot above the stream's head (a stream reset, a commit a failover lost, a hand-written
   * snapshot): the load returns a version the stream never reached, the cache keeps it, and every
   * save of the aggregate conflicts, for ever.
   */
  @Test
  void a_snapshot_above_the_head_costs_one_conflict_then_loads_replay_the_stream() {
    EventSourcingRepository a =
        EventSourcingRepository.builder(parking, TYPES)
            .cache(AggregateCache.maximumSize(10))
            .build();
    a.save(Wallet.open("w-1", "ada"), "c-1");
    Wallet forged = Wallet.open("w-1", "ada");
    forged.deposit(new BigDecimal("99"));
    forged.restoreVersion(10);
    Snapshot shape =
        new SnapshotCodec(new EventSerializer(TYPES))
            .write(forged, TypeRegistry.logicalName(Wallet.class));
    store.delegate.saveSnapshot(
        new Snapshot(
            "w-1", 10, shape.aggregateType(), shape.schema(), shape.state(), Instant.now()));
    a.cache().orElseThrow().invalidateAll(); // a process started since, or an entry evicted

    Wallet forgedLoad = a.get("w-1", Wallet::new);
    assertThat(forgedLoad.version()).as("nothing tells the snapshot is forged yet").isEqualTo(10);
    forgedLoad.deposit(BigDecimal.ONE);
    assertThatThrownBy(() -> a.save(forgedLoad, "c-2"))
        .isInstanceOfSatisfying(
            ConcurrencyException.class, e -> assertThat(e.actual()).isEqualTo(1));

    // The retry, as a command's would: the snapshot is no longer restored, nor the state cached.
    Wallet retried = a.get("w-1", Wallet::new);
    assertThat(retried.version()).as("the stream's end").isEqualTo(1);
    assertThat(retried.balance()).isEqualByComparingTo("0");
    retried.deposit(BigDecimal.ONE);
    a.save(retried, "c-2");
    assertThat(a.get("w-1", Wallet::new).balance()).isEqualByComparingTo("1");
    assertThat(store.delegate.loadStream("w-1", 1).events()).hasSize(2);
  }

  // ---------------------------------------------------------------------------------------------
  // Streams with no recorded type

  /** Another aggregate over the wallet's events: a view of the same stream. */
  static final class Pocket extends EventSourceBased {
    private BigDecimal total = BigDecimal.ZERO;

    Pocket(String id) {
      super(id);
    }

    private void handleOpened(Wallet.Opened e) {}

    private void handleDeposited(Wallet.Deposited e) {
      total = total.add(e.amount());
    }
  }

  /**
   * docs/architecture.md: streams "created by a save that named none, have no type and are never
   * checked". Without a cache both classes load the untyped stream; with one, the second class's
   * load fails with AggregateTypeMismatchException because the first class's entry is cached.
   */
  @Test
  void an_untyped_stream_loads_as_either_class_with_a_cache_as_without() {
    store.delegate.save(
        "w-1",
        0,
        List.of(
            VersionedEvent.builder("w-1", 1, new Wallet.Opened("ada")).correlationId("c").build(),
            VersionedEvent.builder("w-1", 2, new Wallet.Deposited(BigDecimal.TEN))
                .correlationId("c")
                .build()));
    TypeRegistry both = Wallet.types().registerAggregate(Pocket.class);
    for (AggregateCache cache : new AggregateCache[] {null, AggregateCache.maximumSize(10)}) {
      EventSourcingRepository.Builder builder = EventSourcingRepository.builder(parking, both);
      EventSourcingRepository repository =
          cache == null ? builder.build() : builder.cache(cache).build();
      assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("10");
      assertThat(repository.get("w-1", Pocket::new).total)
          .as("with a cache: %s", cache != null)
          .isEqualByComparingTo("10");
    }
  }

  /** A cache of one aggregate, two writers of two aggregates and another process: all right. */
  @Test
  void evictions_racing_saves_lose_nothing() throws Exception {
    EventSourcingRepository a = process(AggregateCache.maximumSize(1));
    EventSourcingRepository other = process(null);
    a.save(Wallet.open("x", "x"), "c");
    a.save(Wallet.open("y", "y"), "c");
    Runnable writer =
        () -> {
          for (int i = 0; i < 200; i++) {
            String id = i % 2 == 0 ? "x" : "y";
            EventSourcingRepository r = i % 3 == 0 ? other : a;
            while (true) {
              Wallet w = r.get(id, Wallet::new);
              w.deposit(BigDecimal.ONE);
              try {
                r.save(w, "c");
                break;
              } catch (ConcurrencyException e) {
                // reload and try again
              }
            }
          }
        };
    CompletableFuture<Void> one = OwnThread.runAsync(writer);
    CompletableFuture<Void> two = OwnThread.runAsync(writer);
    one.get(60, TimeUnit.SECONDS);
    two.get(60, TimeUnit.SECONDS);

    assertThat(a.get("x", Wallet::new).balance()).isEqualByComparingTo("200");
    assertThat(a.get("y", Wallet::new).balance()).isEqualByComparingTo("200");
    assertThat(a.get("x", Wallet::new).version()).isEqualTo(201);
  }

  // ---------------------------------------------------------------------------------------------
  // Hostile inputs

  @ParameterizedTest
  @ValueSource(longs = {0, -1, Long.MIN_VALUE})
  void a_cache_of_no_or_negative_aggregates_is_refused(long size) {
    assertThatThrownBy(() -> AggregateCache.maximumSize(size))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void a_cache_of_one_or_of_long_max_value_aggregates_stays_right() {
    for (long size : new long[] {1, Long.MAX_VALUE}) {
      EventSourcingRepository a = process(AggregateCache.maximumSize(size));
      EventSourcingRepository b = process(null);
      for (int i = 0; i < 5; i++) {
        Wallet w = Wallet.open("s" + size + "-" + i, "o");
        w.deposit(BigDecimal.valueOf(i + 1));
        a.save(w, "c");
      }
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5; i++) {
          Wallet w = (i % 2 == 0 ? a : b).get("s" + size + "-" + i, Wallet::new);
          w.deposit(BigDecimal.ONE);
          (i % 2 == 0 ? a : b).save(w, "c");
        }
      }
      for (int i = 0; i < 5; i++) {
        assertThat(a.get("s" + size + "-" + i, Wallet::new).balance())
            .isEqualByComparingTo(BigDecimal.valueOf(i + 4));
      }
    }
  }

  /** Ids equal but for case or Unicode normalization are distinct streams and distinct entries. */
  @Test
  void ids_equal_but_for_case_or_normalization_stay_apart() {
    EventSourcingRepository a = process(AggregateCache.maximumSize(10));
    List<String> ids =
        List.of("acc-\u00e9", "acc-e\u0301", "ACC-\u00c9", "acc-\u212b", "acc-\u00c5");
    int n = 0;
    for (String id : ids) {
      Wallet w = Wallet.open(id, "owner-" + n);
      w.deposit(BigDecimal.valueOf(++n));
      a.save(w, "c");
    }
    n = 0;
    for (String id : ids) {
      Wallet w = a.get(id, Wallet::new);
      assertThat(w.owner()).isEqualTo("owner-" + n);
      assertThat(w.balance()).isEqualByComparingTo(BigDecimal.valueOf(++n));
      assertThat(w.version()).isEqualTo(2);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A store that can park a thread before a commit, after it, and in a snapshot write. */
  static final class ParkingStore extends ForwardingEventStreamRepository {
    volatile Consumer<String> beforeCommit = id -> {};
    volatile Consumer<String> afterSave = id -> {};
    volatile Consumer<Snapshot> beforeSnapshot = s -> {};

    ParkingStore(ObservedStore delegate) {
      super(delegate);
    }

    @Override
    public void save(StreamAppend append) {
      beforeCommit.accept(append.streamId());
      super.save(append);
      afterSave.accept(append.streamId());
    }

    @Override
    public void saveChecked(StreamAppend append) {
      beforeCommit.accept(append.streamId());
      super.saveChecked(append);
      afterSave.accept(append.streamId());
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
      beforeSnapshot.accept(snapshot);
      super.saveSnapshot(snapshot);
    }
  }
}
