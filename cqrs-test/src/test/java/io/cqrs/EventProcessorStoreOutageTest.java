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
