package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
  private static final class FlakyHeartbeats implements ProcessorStore {
    private final ProcessorStore target;
    private final AtomicInteger failuresLeft;

    FlakyHeartbeats(ProcessorStore target, int failures) {
      this.target = target;
      this.failuresLeft = new AtomicInteger(failures);
    }

    @Override
    public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
      if (failuresLeft.getAndDecrement() > 0) {
        throw new TransientCqrsException("store timed out");
      }
      return target.heartbeat(processor, owner, now, ttl);
    }

    @Override
    public int segmentCount(String processor, int segments) {
      return target.segmentCount(processor, segments);
    }

    @Override
    public Optional<SegmentClaim> claim(
        String processor, int segment, String owner, Instant now, Duration ttl) {
      return target.claim(processor, segment, owner, now, ttl);
    }

    @Override
    public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
      target.saveCheckpoint(claim, position, now);
    }

    @Override
    public void release(SegmentClaim claim) {
      target.release(claim);
    }

    @Override
    public List<SegmentState> segments(String processor) {
      return target.segments(processor);
    }

    @Override
    public void reset(String processor, long position, Instant now) {
      target.reset(processor, position, now);
    }

    @Override
    public void leave(String processor, String owner) {
      target.leave(processor, owner);
    }
  }

  @Test
  void a_transient_store_failure_while_coordinating_is_retried_not_fatal() {
    Ledgers.append(store, "ledger-1", 5, CREATED);
    AtomicInteger handled = new AtomicInteger();
    try (TrackingEventProcessor processor =
        EventProcessor.tracking("flaky", store, new FlakyHeartbeats(store, 2))
            .handler(event -> handled.incrementAndGet())
            .claimTtl(Duration.ofMillis(90))
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
