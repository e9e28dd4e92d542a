package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TrackingEventProcessor#failure()} reports what stops a segment here while it stands, and
 * not after: a review found a segment's old failure brought back by another segment's recovery.
 */
class ProcessorFailureReportTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final List<TrackingEventProcessor> started = new ArrayList<>();

  @AfterEach
  void closeAll() {
    started.forEach(TrackingEventProcessor::close);
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor p = builder.idleWait(Duration.ofMillis(5)).build();
    started.add(p);
    p.start();
    return p;
  }

  private static String streamIn(int segment, int segments, String prefix) {
    for (int i = 0; ; i++) {
      if (TrackingEventProcessor.segmentOf(prefix + i, segments) == segment) {
        return prefix + i;
      }
    }
  }

  /**
   * Segment 1 stops on a failure (stopOnFailure), is handed over to b, which handles it (the cause
   * was repaired), and comes back to a, which handles it fine. Then a's segment 0 gives up at an
   * unreadable event and reads past it once repaired: nothing is stopped anywhere, yet failure()
   * reported segment 1's old failure.
   */
  @Test
  void a_recovered_segments_failure_is_not_resurrected_when_another_segment_recovers() {
    String poisoned = streamIn(1, 2, "a-");
    String zero = streamIn(0, 2, "z-");
    AtomicBoolean broken = new AtomicBoolean(true);
    AtomicLong unreadableAt = new AtomicLong(Long.MAX_VALUE);
    EventStreamRepository reader =
        new ForwardingEventStreamRepository(store) {
          @Override
          public List<LoggedEvent> readLogEvents(long from, int max) {
            long p = unreadableAt.get();
            if (Thread.currentThread().getName().equals("cqrs-processor-stale-0")
                && from <= p
                && from + max > p) {
              throw new UnknownTypeException("Frozen");
            }
            return super.readLogEvents(from, max);
          }
        };
    VersionedEventHandler handler =
        event -> {
          if (broken.get() && event.sourceId().equals(poisoned)) {
            throw new IllegalStateException("poison");
          }
        };
    TrackingEventProcessor a =
        start(
            EventProcessor.tracking("stale", reader, store)
                .owner("a")
                .segments(2)
                .stopOnFailure()
                .maxAttempts(1)
                .claimTtl(Duration.ofMillis(600))
                .unreadableRetry(Duration.ofMillis(50))
                .handler(handler));
    Await.until("a holds both", () -> a.ownedSegments().size() == 2);
    Ledgers.append(store, poisoned, 1, CREATED);
    Await.until("segment 1 stopped", () -> a.failure() != null);
    Throwable old = a.failure();
    broken.set(false);

    TrackingEventProcessor b =
        start(
            EventProcessor.tracking("stale", store, store)
                .owner("b")
                .segments(2)
                .stopOnFailure()
                .maxAttempts(1)
                .claimTtl(Duration.ofMillis(600))
                .handler(handler));
    long poisonAt = store.logHead();
    Await.until(
        "b handled segment 1 past the old failure",
        () -> store.segments("stale").get(1).checkpoint() >= poisonAt);
    b.close();
    Await.until("a holds segment 1 again", () -> a.ownedSegments().contains(1));
    Ledgers.append(store, poisoned, 1, CREATED);
    long second = store.logHead();
    Await.until(
        "a handled segment 1 on", () -> store.segments("stale").get(1).checkpoint() >= second);
    // Segment 1 runs here again: what stopped it is over.
    Await.until("failure() clear once segment 1 runs again", () -> a.failure() == null);

    unreadableAt.set(store.logHead() + 1);
    Ledgers.append(store, zero, 1, CREATED);
    long unreadable = store.logHead();
    Await.until("segment 0 gave up", () -> a.failure() != null && a.failure() != old);
    unreadableAt.set(Long.MAX_VALUE);
    Await.until(
        "segment 0 read past the repaired event",
        () -> store.segments("stale").get(0).checkpoint() >= unreadable);
    Await.until("a holds both again", () -> a.ownedSegments().size() == 2);
    // Nothing is stopped: before, segment 1's old failure came back here and stayed.
    Await.until("failure() clear once nothing is stopped", () -> a.failure() == null);
    assertThat(a.failure()).isNull();
  }
}
