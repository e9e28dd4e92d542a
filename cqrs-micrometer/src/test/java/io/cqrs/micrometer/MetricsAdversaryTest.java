package io.cqrs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.cqrs.Command;
import io.cqrs.ConcurrencyException;
import io.cqrs.Cqrs;
import io.cqrs.micrometer.Account.Deposit;
import io.cqrs.micrometer.Account.Open;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * HELD. Counters equal the known numbers when several threads contend for the same aggregates: real
 * optimistic-concurrency conflicts (not staged ones), domain rejections, and redeliveries of
 * commands that took effect.
 */
class MetricsAdversaryTest {
  private static final String HANDLED = "cqrs.commands.handled";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Meters meters = new Meters(registry);

  @Test
  void counters_are_exact_under_contention_rejections_and_redeliveries() throws Exception {
    int threads = 4;
    int perThread = 60;
    AtomicInteger handlerRuns = new AtomicInteger();
    AtomicInteger succeeded = new AtomicInteger();
    AtomicInteger rejected = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    List<Command> done = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(registry)).build()) {
      // Called once per attempt of a positive deposit, between its load and its save; a refused
      // deposit throws before it, once (a domain rejection is not retried).
      Account.handle(
          cqrs,
          deposit -> {
            handlerRuns.incrementAndGet();
            Thread.yield(); // widen the window between load and save
            return false;
          });
      cqrs.start();
      cqrs.commands().dispatch(Command.create(new Open("a-1")));
      cqrs.commands().dispatch(Command.create(new Open("a-2")));

      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  for (int i = 0; i < perThread; i++) {
                    long amount = (i % 7 == 3) ? -1 : 1 + i; // every 7th is refused
                    Command command =
                        Command.create(new Deposit("a-" + (1 + (i + thread) % 2), amount));
                    try {
                      cqrs.commands().dispatch(command);
                      succeeded.incrementAndGet();
                      done.add(command);
                    } catch (IllegalArgumentException e) {
                      rejected.incrementAndGet();
                    } catch (ConcurrencyException e) {
                      conflicts.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> future : futures) {
        future.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();

      int runsBefore = handlerRuns.get();
      // Redeliveries of the first 10 commands that took effect: duplicates, which the dispatch
      // manager's look-up answers without running the handler.
      for (Command again : done.subList(0, 10)) {
        cqrs.commands().dispatch(again);
      }
      assertThat(handlerRuns.get()).isEqualTo(runsBefore);

      long deposited =
          cqrs.store().load("a-1").size() + cqrs.store().load("a-2").size() - 2; // minus Opened
      assertThat(deposited).isEqualTo(succeeded.get());
    }

    int handlings = threads * perThread;
    assumeThat(handlerRuns.get() + rejected.get())
        .as("real conflicts happened")
        .isGreaterThan(handlings);
    assertThat(succeeded.get() + rejected.get() + conflicts.get()).isEqualTo(handlings);
    assertThat(handled("succeeded")).isEqualTo(succeeded.get());
    assertThat(handled("rejected")).isEqualTo(rejected.get());
    assertThat(handled("conflict")).isEqualTo(conflicts.get());
    assertThat(handled("duplicate")).isEqualTo(10);
    // handlerRuns counts the attempts of positive deposits; a rejected one ran once.
    assertThat(meters.counted("cqrs.commands.retries", "command", "Deposit"))
        .as("handler runs beyond the first of each handling")
        .isEqualTo(handlerRuns.get() + rejected.get() - handlings);
    assertThat(meters.counted("cqrs.events.appended", "event", "Deposited"))
        .isEqualTo(succeeded.get());
    assertThat(registry.find(HANDLED).timers()).hasSizeLessThanOrEqualTo(2 * 5);
  }

  private long handled(String outcome) {
    return meters.timed(HANDLED, "command", "Deposit", "outcome", outcome);
  }
}
