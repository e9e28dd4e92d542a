package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.ClaimLostException;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ProcessorStore} must do: segment counts fixed on first use, claims with fencing
 * tokens, fenced checkpoints, resets and live members. Time is the caller's: every case drives its
 * own instants, so none waits.
 *
 * <p>Run it against a store with a one-line subclass:
 *
 * <pre>{@code
 * class MyProcessorStoreTest extends ProcessorStoreContract {
 *   protected ProcessorStore store() { return new MyStore(); }
 * }
 * }</pre>
 */
public abstract class ProcessorStoreContract {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** The store under test; a fresh one per case, or a shared one (processor names are unique). */
  protected abstract ProcessorStore store();

  private ProcessorStore store;
  private String processor;

  @BeforeEach
  void freshProcessor() {
    store = store();
    processor = "p-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private SegmentClaim claim(int segment, String owner, Instant now) {
    return store
        .claim(processor, segment, owner, now, TTL)
        .orElseThrow(() -> new AssertionError(owner + " could not claim segment " + segment));
  }

  @Test
  void the_first_segment_count_is_fixed_and_later_proposals_get_it_back() {
    assertThat(store.segmentCount(processor, 4)).isEqualTo(4);
    assertThat(store.segmentCount(processor, 8)).isEqualTo(4);
    assertThat(store.segments(processor))
        .extracting(SegmentState::segment)
        .containsExactly(0, 1, 2, 3);
    assertThatThrownBy(() -> store.segmentCount(processor + "-x", 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void an_unknown_processor_has_no_segments_and_cannot_be_claimed() {
    assertThat(store.segments(processor)).isEmpty();
    assertThatThrownBy(() -> store.claim(processor, 0, "a", T0, TTL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(processor);
  }

  @Test
  void a_segment_outside_the_count_is_rejected_naming_the_range() {
    store.segmentCount(processor, 2);
    assertThatThrownBy(() -> store.claim(processor, 2, "a", T0, TTL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..1");
    assertThatThrownBy(() -> store.claim(processor, -1, "a", T0, TTL))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void a_free_segment_is_claimed_with_a_token_and_its_checkpoint() {
    store.segmentCount(processor, 2);

    SegmentClaim claim = claim(1, "a", T0);

    assertThat(claim.processor()).isEqualTo(processor);
    assertThat(claim.segment()).isEqualTo(1);
    assertThat(claim.owner()).isEqualTo("a");
    assertThat(claim.token()).isPositive();
    assertThat(claim.checkpoint()).isZero();
    assertThat(claim.expiresAt()).isEqualTo(T0.plus(TTL));
    SegmentState state = store.segments(processor).get(1);
    assertThat(state.owner()).isEqualTo("a");
    assertThat(state.token()).isEqualTo(claim.token());
    assertThat(state.claimedAt(T0.plus(TTL).minusMillis(1))).isTrue();
    assertThat(state.claimedAt(T0.plus(TTL))).isFalse();
    assertThat(store.segments(processor).get(0).owner()).isNull();
  }

  @Test
  void the_holder_renews_under_the_same_token_and_a_live_claim_is_refused_to_others() {
    store.segmentCount(processor, 1);
    SegmentClaim first = claim(0, "a", T0);

    SegmentClaim renewed = claim(0, "a", T0.plusSeconds(5));
    Optional<SegmentClaim> other = store.claim(processor, 0, "b", T0.plusSeconds(14), TTL);

    assertThat(renewed.token()).isEqualTo(first.token());
    assertThat(renewed.expiresAt()).isEqualTo(T0.plusSeconds(15));
    assertThat(other).isEmpty();
  }

  @Test
  void an_expired_claim_is_taken_over_with_a_greater_token_and_the_checkpoint() {
    store.segmentCount(processor, 1);
    SegmentClaim first = claim(0, "a", T0);
    store.saveCheckpoint(first, 42, T0.plusSeconds(1));

    SegmentClaim taken = claim(0, "b", T0.plus(TTL));

    assertThat(taken.token()).isGreaterThan(first.token());
    assertThat(taken.checkpoint()).isEqualTo(42);
    assertThat(store.segments(processor).get(0).owner()).isEqualTo("b");
  }

  @Test
  void the_same_owner_after_expiry_gets_a_new_token() {
    store.segmentCount(processor, 1);
    SegmentClaim first = claim(0, "a", T0);

    SegmentClaim again = claim(0, "a", T0.plus(TTL).plusSeconds(1));

    assertThat(again.token()).isGreaterThan(first.token());
    assertThatThrownBy(() -> store.saveCheckpoint(first, 1, T0.plus(TTL).plusSeconds(2)))
        .isInstanceOf(ClaimLostException.class);
  }

  @Test
  void checkpoints_only_move_forward_and_survive_a_release() {
    store.segmentCount(processor, 1);
    SegmentClaim claim = claim(0, "a", T0);

    store.saveCheckpoint(claim, 10, T0);
    store.saveCheckpoint(claim, 7, T0);
    store.release(claim);

    assertThat(store.segments(processor).get(0).checkpoint()).isEqualTo(10);
    assertThat(claim(0, "b", T0).checkpoint()).isEqualTo(10);
  }

  @Test
  void a_replaced_claimer_cannot_move_the_checkpoint_whatever_its_clock_says() {
    store.segmentCount(processor, 1);
    SegmentClaim stalled = claim(0, "a", T0);
    store.saveCheckpoint(stalled, 5, T0);
    SegmentClaim successor = claim(0, "b", T0.plus(TTL));
    store.saveCheckpoint(successor, 9, T0.plus(TTL));

    // The stalled owner wakes up with a clock that says its claim is still valid.
    assertThatThrownBy(() -> store.saveCheckpoint(stalled, 100, T0.plusSeconds(1)))
        .isInstanceOf(ClaimLostException.class)
        .hasMessageContaining(processor)
        .satisfies(e -> assertThat(((ClaimLostException) e).segment()).isZero());
    assertThat(store.segments(processor).get(0).checkpoint()).isEqualTo(9);
    assertThat(store.segments(processor).get(0).owner()).isEqualTo("b");
  }

  @Test
  void a_checkpoint_under_an_expired_claim_is_refused_even_if_nobody_took_it() {
    store.segmentCount(processor, 1);
    SegmentClaim claim = claim(0, "a", T0);

    assertThatThrownBy(() -> store.saveCheckpoint(claim, 3, T0.plus(TTL)))
        .isInstanceOf(ClaimLostException.class);
    assertThat(store.segments(processor).get(0).checkpoint()).isZero();
  }

  @Test
  void a_released_segment_is_free_at_once_and_a_stale_release_changes_nothing() {
    store.segmentCount(processor, 1);
    SegmentClaim first = claim(0, "a", T0);
    store.release(first);
    SegmentClaim second = claim(0, "b", T0.plusSeconds(1));

    store.release(first);

    assertThat(second.token()).isGreaterThan(first.token());
    assertThat(store.segments(processor).get(0).owner()).isEqualTo("b");
    assertThat(store.claim(processor, 0, "c", T0.plusSeconds(2), TTL)).isEmpty();
    assertThatThrownBy(() -> store.saveCheckpoint(first, 1, T0.plusSeconds(2)))
        .isInstanceOf(ClaimLostException.class);
  }

  @Test
  void reset_moves_every_checkpoint_but_not_while_a_segment_is_claimed() {
    store.segmentCount(processor, 2);
    SegmentClaim claim = claim(1, "a", T0);
    store.saveCheckpoint(claim, 50, T0);

    assertThatThrownBy(() -> store.reset(processor, 0, T0.plusSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'a'");
    assertThat(store.segments(processor).get(1).checkpoint()).isEqualTo(50);

    store.reset(processor, 20, T0.plus(TTL)); // the claim has expired by then

    assertThat(store.segments(processor))
        .extracting(SegmentState::checkpoint)
        .containsExactly(20L, 20L);
    assertThatThrownBy(() -> store.saveCheckpoint(claim, 60, T0.plus(TTL)))
        .isInstanceOf(ClaimLostException.class);
    // A write the holder sent before its claim expired (its clock read then), that arrives after
    // the reset: fenced too, whatever its clock says, or the replay would be skipped.
    assertThatThrownBy(() -> store.saveCheckpoint(claim, 60, T0.plusSeconds(1)))
        .isInstanceOf(ClaimLostException.class);
    assertThat(store.segments(processor).get(1).checkpoint()).isEqualTo(20);
  }

  @Test
  void heartbeats_list_the_live_members_in_one_order_for_everyone() {
    store.segmentCount(processor, 1);

    store.heartbeat(processor, "b", T0, TTL);
    store.heartbeat(processor, "c", T0.plusSeconds(1), TTL);
    List<String> seenByA = store.heartbeat(processor, "a", T0.plusSeconds(2), TTL);
    List<String> seenByB = store.heartbeat(processor, "b", T0.plusSeconds(3), TTL);

    assertThat(seenByA).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(seenByB).isEqualTo(seenByA);
    assertThat(store.heartbeat(processor, "a", T0.plusSeconds(11), TTL))
        .as("c's heartbeat ran out at 11 s")
        .containsExactlyInAnyOrder("a", "b");
    store.leave(processor, "b");
    assertThat(store.heartbeat(processor, "a", T0.plusSeconds(12), TTL)).containsExactly("a");
  }

  @Test
  void processors_do_not_share_anything() {
    String other = processor + "-other";
    store.segmentCount(processor, 1);
    store.segmentCount(other, 3);
    SegmentClaim claim = claim(0, "a", T0);
    store.saveCheckpoint(claim, 8, T0);

    assertThat(store.claim(other, 0, "b", T0, TTL)).isPresent();
    assertThat(store.segments(other)).hasSize(3).allMatch(s -> s.checkpoint() == 0);
    assertThat(store.heartbeat(other, "b", T0, TTL)).containsExactly("b");
  }

  @Test
  void owners_racing_for_a_free_segment_get_one_claim_between_them() throws Exception {
    store.segmentCount(processor, 1);
    int racers = 8;
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<SegmentClaim> won = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      List<Future<?>> futures = new java.util.ArrayList<>();
      for (int i = 0; i < racers; i++) {
        String owner = "owner-" + i;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  store.claim(processor, 0, owner, T0, TTL).ifPresent(won::add);
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(won).hasSize(1);
    assertThat(store.segments(processor).get(0).owner()).isEqualTo(won.peek().owner());
  }

  @Test
  void a_checkpoint_racing_a_takeover_either_lands_before_it_or_is_refused() throws Exception {
    store.segmentCount(processor, 1);
    for (int r = 0; r < 50; r++) {
      int round = r;
      Instant now = T0.plus(TTL.multipliedBy(2L * round));
      SegmentClaim old = claim(0, "a-" + round, now);
      Instant later = now.plus(TTL);
      CountDownLatch start = new CountDownLatch(1);
      long position = 1000L * (round + 1);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        Future<Boolean> saved =
            pool.submit(
                () -> {
                  start.await();
                  try {
                    store.saveCheckpoint(old, position, now.plusSeconds(9));
                    return true;
                  } catch (ClaimLostException e) {
                    return false;
                  }
                });
        Future<SegmentClaim> taken =
            pool.submit(
                () -> {
                  start.await();
                  return claim(0, "b-" + round, later);
                });
        start.countDown();
        boolean landed = saved.get(30, TimeUnit.SECONDS);
        SegmentClaim successor = taken.get(30, TimeUnit.SECONDS);

        long checkpoint = store.segments(processor).get(0).checkpoint();
        if (landed) {
          // It landed before the takeover, so the successor starts from it.
          assertThat(checkpoint).isEqualTo(position);
          assertThat(successor.checkpoint()).isEqualTo(position);
        } else {
          assertThat(checkpoint).isLessThan(position);
          assertThat(successor.checkpoint()).isEqualTo(checkpoint);
        }
        store.release(successor);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
