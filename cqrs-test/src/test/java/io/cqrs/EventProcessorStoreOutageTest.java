package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An event processor whose processor store fails for a while, as a Couchbase timeout would: the
 * processor keeps coordinating and goes on once the store answers.
 */
class EventProcessorStoreOutageTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();

  /** Fails the first {@code failures} heartbeats with a transient error, then passes through. */
  private static final class FlakyHeartbeats extends ForwardingProcessorStore {
    private final AtomicInteger failuresLeft;

    FlakyHeartbeats(ProcessorStore target, int failures) {
      super(target);
      this.failuresLeft = new AtomicInteger(failures);
    }

    @Override
    public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
      if (failuresLeft.getAndDecrement() > 0) {
        throw new TransientCqrsException("store timed out");
      }
      return super.heartbeat(processor, owner, now, ttl);
    }
  }

  /**
   * A renewal that failed transiently ended the whole round: the segments after it in the list were
   * not renewed that round, and with a store failing on one segment's document, never, so their
   * claims ran out and their workers stopped. The round now goes on past a failed renewal.
   */
  @Test
  void a_renewal_that_fails_does_not_keep_the_other_segments_from_being_renewed() {
    AtomicInteger segmentOneClaims = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean failSegmentZero =
        new java.util.concurrent.atomic.AtomicBoolean();
    ProcessorStore failingOnSegmentZero =
        new ForwardingProcessorStore(store) {
          @Override
          public java.util.Optional<io.cqrs.spi.SegmentClaim> claim(
              String processor, int segment, String owner, Instant now, Duration ttl) {
            if (segment == 0 && failSegmentZero.get()) {
              throw new TransientCqrsException("segment 0's document timed out");
            }
            java.util.Optional<io.cqrs.spi.SegmentClaim> claim =
                super.claim(processor, segment, owner, now, ttl);
            if (segment == 1 && claim.isPresent()) {
              segmentOneClaims.incrementAndGet();
            }
            return claim;
          }
        };
    try (TrackingEventProcessor processor =
        EventProcessor.tracking("half-flaky", store, failingOnSegmentZero)
            .handler(event -> {})
            .segments(2)
            .claimTtl(Duration.ofMillis(600))
            .idleWait(Duration.ofMillis(5))
            .build()) {
      processor.start();
      Await.until("both segments held", () -> processor.ownedSegments().size() == 2);
      failSegmentZero.set(true);
      int before = segmentOneClaims.get();

      Await.until("segment 1 renewed in three rounds", () -> segmentOneClaims.get() >= before + 3);
      assertThat(processor.ownedSegments()).contains(1);
      assertThat(processor.failure()).isNull();
    }
  }

  @Test
  void a_transient_store_failure_while_coordinating_is_retried_not_fatal() {
    Ledgers.append(store, "ledger-1", 5, CREATED);
    AtomicInteger handled = new AtomicInteger();
    try (TrackingEventProcessor processor =
        EventProcessor.tracking("flaky", store, new FlakyHeartbeats(store, 2))
            .handler(event -> handled.incrementAndGet())
            .claimTtl(Duration.ofSeconds(1))
            .idleWait(Duration.ofMillis(5))
            .build()) {
      processor.start();

      Await.until("every event handled", () -> handled.get() == 5 && processor.lag().caughtUp());
      Ledgers.append(store, "ledger-1", 2, CREATED);
      Await.until("new events handled", () -> handled.get() == 7);

      assertThat(processor.failure()).isNull();
      assertThat(processor.ownedSegments()).containsExactly(0);
    }
  }

  /**
   * A processor store that passes through until it goes down, then fails every checkpoint, release
   * and leave, counting them. Gone for good ({@code slow}), each failure takes the processor's
   * monotonic time ({@link #nanos}) {@link #TIMEOUT} forward first, as a timeout takes that long;
   * else it fails at once, as a contended or refused write does.
   */
  private static final class GoingDown extends ForwardingProcessorStore {
    static final Duration TIMEOUT = Duration.ofMillis(2_500);

    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger checkpoints = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicInteger leaves = new AtomicInteger();

    /** The processor's monotonic time, in nanoseconds, which only the failures move. */
    final AtomicLong nanos = new AtomicLong();

    private final boolean slow;

    GoingDown(ProcessorStore target, boolean slow) {
      super(target);
      this.slow = slow;
    }

    private TransientCqrsException failure(String what) {
      if (slow) {
        nanos.addAndGet(TIMEOUT.toNanos());
      }
      return new TransientCqrsException(what + (slow ? " timed out" : " contended"));
    }

    @Override
    public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
      if (down.get()) {
        checkpoints.incrementAndGet();
        throw failure("checkpoint");
      }
      super.saveCheckpoint(claim, position, now);
    }

    @Override
    public void release(SegmentClaim claim) {
      if (down.get()) {
        releases.incrementAndGet();
        throw failure("release");
      }
      super.release(claim);
    }

    @Override
    public void leave(String processor, String owner) {
      if (down.get()) {
        leaves.incrementAndGet();
        throw failure("leave");
      }
      super.leave(processor, owner);
    }
  }

  /**
   * Closing with the store gone cost a timeout per write in turn: the final checkpoint, then the
   * release, then the leave (about 7.5 s on Couchbase's defaults). Once the checkpoint has failed,
   * the claim and the membership are left to run out instead.
   */
  @Test
  void a_close_whose_final_checkpoint_times_out_does_not_release_or_leave() {
    GoingDown processors = new GoingDown(store, true);
    AtomicInteger handled = new AtomicInteger();
    TrackingEventProcessor processor =
        EventProcessor.tracking("closing-on-outage", store, processors)
            .handler(event -> handled.incrementAndGet())
            .nanoTime(processors.nanos::get)
            .idleWait(Duration.ofMillis(5))
            .build();
    processor.start();
    Await.until("the segment held", () -> processor.ownedSegments().size() == 1);
    processors.down.set(true);
    Ledgers.append(store, "ledger-1", 1, CREATED); // handled, its checkpoint refused
    Await.until(
        "the event handled and its checkpoint tried",
        () -> handled.get() == 1 && processors.checkpoints.get() >= 1);
    int before = processors.checkpoints.get();

    processor.close();

    // The worker retries its refused checkpoint until it sees the close: one or more tries.
    assertThat(processors.checkpoints.get()).as("the final checkpoint").isGreaterThan(before);
    assertThat(processors.releases.get()).as("releases").isZero();
    assertThat(processors.leaves.get()).as("leaves").isZero();
  }

  /** With nothing to checkpoint, a release that times out is the only write tried. */
  @Test
  void a_close_whose_release_times_out_does_not_leave() {
    GoingDown processors = new GoingDown(store, true);
    TrackingEventProcessor processor = startedIdle("releasing-on-outage", processors);
    processors.down.set(true);

    processor.close();

    assertThat(processors.checkpoints.get()).as("checkpoints").isZero();
    assertThat(processors.releases.get()).as("releases").isEqualTo(1);
    assertThat(processors.leaves.get()).as("leaves").isZero();
  }

  /**
   * A release that fails at once (a contended or refused write: the store answers) is no sign the
   * store is gone: the leave is still tried, so that the other processes need not wait for the
   * membership to run out.
   */
  @Test
  void a_close_whose_release_fails_at_once_still_leaves() {
    GoingDown processors = new GoingDown(store, false);
    TrackingEventProcessor processor = startedIdle("contended-on-close", processors);
    processors.down.set(true);

    processor.close();

    assertThat(processors.releases.get()).as("releases").isEqualTo(1);
    assertThat(processors.leaves.get()).as("leaves").isEqualTo(1);
  }

  /**
   * A started processor of one segment, holding it, on {@code processors} and its time, with
   * nothing to handle.
   */
  private TrackingEventProcessor startedIdle(String name, GoingDown processors) {
    TrackingEventProcessor processor =
        EventProcessor.tracking(name, store, processors)
            .handler(event -> {})
            .nanoTime(processors.nanos::get)
            .idleWait(Duration.ofMillis(5))
            .build();
    processor.start();
    Await.until("the segment held", () -> processor.ownedSegments().size() == 1);
    return processor;
  }

  /** With the store up, a close releases and leaves as before. */
  @Test
  void a_close_with_the_store_up_releases_and_leaves() {
    AtomicInteger releases = new AtomicInteger();
    AtomicInteger leaves = new AtomicInteger();
    ProcessorStore counting =
        new ForwardingProcessorStore(store) {
          @Override
          public void release(SegmentClaim claim) {
            releases.incrementAndGet();
            super.release(claim);
          }

          @Override
          public void leave(String processor, String owner) {
            leaves.incrementAndGet();
            super.leave(processor, owner);
          }
        };
    TrackingEventProcessor processor =
        EventProcessor.tracking("closing-healthy", store, counting)
            .handler(event -> {})
            .claimTtl(Duration.ofSeconds(30))
            .idleWait(Duration.ofMillis(5))
            .build();
    processor.start();
    Await.until("the segment held", () -> processor.ownedSegments().size() == 1);

    processor.close();

    assertThat(releases.get()).isEqualTo(1);
    assertThat(leaves.get()).isEqualTo(1);
  }
}
