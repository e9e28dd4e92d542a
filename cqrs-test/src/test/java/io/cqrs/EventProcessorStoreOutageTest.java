package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
}
