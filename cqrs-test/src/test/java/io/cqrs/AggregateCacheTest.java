package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.testing.OwnThread;
import java.math.BigDecimal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The repository's aggregate cache: what a load reads from the store with it, and that no
 * interleaving of loads, saves, failed commands and other writers makes a load return a state the
 * stream did not have.
 */
class AggregateCacheTest {
  private final ObservedStore store = new ObservedStore();
  private final TypeRegistry types = Wallet.types();
  private final EventSourcingRepository cached = repository(AggregateCache.maximumSize(100));

  @Test
  void a_load_after_a_save_reads_only_the_events_after_the_cached_version_and_no_snapshot() {
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(new BigDecimal("10"));
    cached.save(wallet, "c-1");
    store.calls.clear();

    Wallet loaded = cached.get("w-1", Wallet::new);

    assertThat(store.calls).containsExactly("load w-1 after 2");
    assertThat(loaded.version()).isEqualTo(2);
    assertThat(loaded.owner()).isEqualTo("ada");
    assertThat(loaded.balance()).isEqualByComparingTo("10");
    assertThat(loaded).isNotSameAs(wallet);
    assertThat(cached.cache().orElseThrow().stats().hits()).isEqualTo(1);
  }

  @Test
  void a_load_sees_what_another_process_committed_after_the_cached_version_and_caches_that() {
    cached.save(Wallet.open("w-1", "ada"), "c-1");
    EventSourcingRepository elsewhere = repository(null);
    Wallet theirs = elsewhere.get("w-1", Wallet::new);
    theirs.deposit(new BigDecimal("5"));
    theirs.deposit(new BigDecimal("7"));
    elsewhere.save(theirs, "c-2");
    store.calls.clear();

    Wallet loaded = cached.get("w-1", Wallet::new);
    Wallet again = cached.get("w-1", Wallet::new);

    assertThat(loaded.version()).isEqualTo(3);
    assertThat(loaded.balance()).isEqualByComparingTo("12");
    assertThat(again.balance()).isEqualByComparingTo("12");
    assertThat(store.calls).containsExactly("load w-1 after 1", "load w-1 after 3");
  }

  @Test
  void a_command_that_changes_a_loaded_aggregate_and_then_fails_leaves_the_cache_as_committed() {
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(new BigDecimal("10"));
    cached.save(wallet, "c-1");

    Wallet loaded = cached.get("w-1", Wallet::new);
    loaded.withdraw(new BigDecimal("10")); // applied to the instance, never saved
    Wallet next = cached.get("w-1", Wallet::new);

    assertThat(next.balance()).isEqualByComparingTo("10");
    assertThat(next.pendingEvents()).isEmpty();
  }

  @Test
  void a_conflicting_save_keeps_the_entry_and_the_next_load_reads_the_winner_after_it() {
    cached.save(Wallet.open("w-1", "ada"), "c-1");
    Wallet stale = cached.get("w-1", Wallet::new);
    EventSourcingRepository elsewhere = repository(null);
    Wallet winner = elsewhere.get("w-1", Wallet::new);
    winner.deposit(new BigDecimal("3"));
    elsewhere.save(winner, "c-2");
    stale.deposit(new BigDecimal("100"));

    assertThatThrownBy(() -> cached.save(stale, "c-3")).isInstanceOf(ConcurrencyException.class);
    store.calls.clear();
    Wallet loaded = cached.get("w-1", Wallet::new);

    // The entry holds version 1, a state the stream had: the load reads the winner's commit only.
    assertThat(store.calls).containsExactly("load w-1 after 1");
    assertThat(loaded.balance()).isEqualByComparingTo("3");
  }

  /**
   * A reader that loaded version 1 from the store puts its state in the cache after a writer in the
   * same process put version 2: the cache keeps version 2 (a later load reads from version 3), and
   * whatever it kept, loads stay right.
   */
  @Test
  void a_slow_reader_does_not_replace_a_newer_cached_state_with_its_older_one() throws Exception {
    EventSourcingRepository uncached = repository(null);
    uncached.save(Wallet.open("w-1", "ada"), "c-1");
    CountDownLatch readerLoaded = new CountDownLatch(1);
    CountDownLatch writerDone = new CountDownLatch(1);
    Thread readerThread = Thread.currentThread();
    store.afterLoad =
        streamId -> {
          if (Thread.currentThread() != readerThread) {
            readerLoaded.countDown();
            await(writerDone);
          }
        };
    CompletableFuture<Wallet> reader = OwnThread.supplyAsync(() -> cached.get("w-1", Wallet::new));
    await(readerLoaded);
    Wallet written = cached.get("w-1", Wallet::new);
    written.deposit(new BigDecimal("4"));
    cached.save(written, "c-2");
    writerDone.countDown();

    assertThat(reader.get(10, TimeUnit.SECONDS).version()).isEqualTo(1);
    store.calls.clear();
    Wallet loaded = cached.get("w-1", Wallet::new);

    assertThat(store.calls).containsExactly("load w-1 after 2");
    assertThat(loaded.version()).isEqualTo(2);
    assertThat(loaded.balance()).isEqualByComparingTo("4");
  }

  @Test
  void a_cached_stream_loaded_as_another_aggregate_type_is_refused() {
    cached.save(Wallet.open("w-1", "ada"), "c-1");
    TypeRegistry both = Wallet.types().registerAggregate(Purse.class);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, both)
            .cache(AggregateCache.maximumSize(10))
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
    repository.get("w-1", Wallet::new); // now cached as a Wallet

    assertThatThrownBy(() -> repository.get("w-1", Purse::new))
        .isInstanceOf(AggregateTypeMismatchException.class);
  }

  @Test
  void a_bounded_cache_evicts_and_loads_stay_right() {
    EventSourcingRepository small = repository(AggregateCache.maximumSize(2));
    for (int i = 0; i < 20; i++) {
      Wallet wallet = Wallet.open("w-" + i, "owner-" + i);
      wallet.deposit(BigDecimal.valueOf(i + 1));
      small.save(wallet, "c-" + i);
    }
    for (int i = 0; i < 20; i++) {
      assertThat(small.get("w-" + i, Wallet::new).balance()).isEqualByComparingTo("" + (i + 1));
    }
    AggregateCache.Stats stats = small.cache().orElseThrow().stats();
    assertThat(stats.evictions()).isPositive();
    assertThat(stats.size()).isLessThanOrEqualTo(2);
  }

  @Test
  void a_cache_of_no_aggregates_is_refused() {
    assertThatThrownBy(() -> AggregateCache.maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("aggregates must be >= 1, was 0");
  }

  /** Another aggregate type, to load a wallet's stream as the wrong type. */
  static final class Purse extends EventSourceBased {
    Purse(String id) {
      super(id);
    }
  }

  private EventSourcingRepository repository(AggregateCache cache) {
    EventSourcingRepository.Builder builder =
        EventSourcingRepository.builder(store, types).snapshotPolicy(SnapshotPolicy.never());
    return cache == null ? builder.build() : builder.cache(cache).build();
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Loads that found a contended entry current count towards clearing the mark; a conflict that
   * marked the entry again while such a load was looking must not be counted down by it.
   */
  @Test
  void a_contended_mark_set_while_a_load_was_looking_is_not_counted_down_by_that_load() {
    AggregateCache marks = AggregateCache.maximumSize(10);
    marks.put(new AggregateCache.Entry("w-1", 1, "Wallet", new byte[] {'{', '}'}, 1, 0));
    marks.contended("w-1");
    AggregateCache.Entry looked = marks.get("w-1"); // a load looks at the stream from here

    marks.contended("w-1"); // meanwhile a save conflicts
    marks.quietLook(looked); // the look found nothing new

    assertThat(marks.get("w-1").contention()).isEqualTo(AggregateCache.QUIET_LOOKS);
    for (int i = 0; i < AggregateCache.QUIET_LOOKS; i++) {
      assertThat(marks.get("w-1").contended()).isTrue();
      marks.quietLook(marks.get("w-1"));
    }
    assertThat(marks.get("w-1").contended()).isFalse();
  }
}
