package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.SegmentClaim;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * close() renews the claims of segments still inside a handler on one cadence: a renewal per join
 * that timed out (the first version) was put off by each thread that ended just before its timeout.
 * Here three segments end one after another, each just before such a timeout, while a fourth is
 * still inside its handler past a claim's lifetime: no other process may claim it. Timed by nature
 * (the cadence is on the wall clock the joins wait on), with seconds of margin.
 */
class CloseRenewalCadenceTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SEGMENTS = 4;

  @Test
  void a_segment_inside_its_handler_stays_claimed_while_the_others_end_one_by_one()
      throws Exception {
    Duration ttl = Duration.ofSeconds(6);
    long third = ttl.toMillis() / 3;
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    CountDownLatch[] release = new CountDownLatch[SEGMENTS];
    CountDownLatch entered = new CountDownLatch(SEGMENTS);
    for (int s = 0; s < SEGMENTS; s++) {
      release[s] = new CountDownLatch(1);
    }
    boolean[] has = new boolean[SEGMENTS];
    for (int i = 0, found = 0; found < SEGMENTS; i++) {
      String stream = "stream-" + i;
      int s = TrackingEventProcessor.segmentOf(stream, SEGMENTS);
      if (!has[s]) {
        has[s] = true;
        found++;
        Ledgers.append(store, stream, 1, T0);
      }
    }
    TrackingEventProcessor a =
        EventProcessor.tracking("cadence", store, store)
            .segments(SEGMENTS)
            .claimTtl(ttl)
            .clock(Clock.systemUTC())
            .idleWait(Duration.ofMillis(5))
            .handler(
                event -> {
                  int s = TrackingEventProcessor.segmentOf(event.sourceId(), SEGMENTS);
                  entered.countDown();
                  release[s].await();
                })
            .build();
    a.start();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Thread closing = new Thread(a::close);
    try {
      assertThat(entered.await(10, TimeUnit.SECONDS))
          .as("every segment inside its handler")
          .isTrue();
      closing.start();
      // Segments 0..2 end one after another, each 0.9 of a join's wait after the one before.
      for (int s = 0; s < SEGMENTS - 1; s++) {
        CountDownLatch latch = release[s];
        timer.schedule(latch::countDown, (s + 1) * third * 9 / 10, TimeUnit.MILLISECONDS);
      }
      // Past the claim's lifetime since close began, segment 3 is still inside its handler.
      CountDownLatch check = new CountDownLatch(1);
      timer.schedule(check::countDown, ttl.toMillis() + third / 4, TimeUnit.MILLISECONDS);
      check.await();
      Optional<SegmentClaim> intruder =
          store.claim("cadence", SEGMENTS - 1, "intruder", Instant.now(), ttl);
      intruder.ifPresent(store::release);
      assertThat(intruder)
          .as("another process can claim the segment whose handler is still running")
          .isEmpty();
    } finally {
      for (CountDownLatch latch : release) {
        latch.countDown();
      }
      closing.join(30_000);
      timer.shutdownNow();
    }
  }
}
