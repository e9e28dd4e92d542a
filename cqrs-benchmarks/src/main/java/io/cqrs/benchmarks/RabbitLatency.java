package io.cqrs.benchmarks;

import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.report.LatencyResult;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.Subscription;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Issue 4, latency: publish-to-handler latency through {@link RabbitEventBus} at a steady rate.
 *
 * <pre>
 * java -cp cqrs-benchmarks/target/benchmarks.jar io.cqrs.benchmarks.RabbitLatency [RATE [SECONDS [RESULT.json]]]
 * </pre>
 *
 * <p>A scheduler thread releases one event at a time on a fixed schedule ({@code RATE} events per
 * second, default 1,000, for {@code SECONDS}, default 10, after a 3-second warm-up at the same
 * rate), and hands each to one of {@value #PUBLISHERS} threads that call {@code publish} with it;
 * one listener handles them. An event's latency is from its scheduled send time (so a publisher
 * that falls behind counts against the bus, not for it) to the moment its handler runs, both read
 * from {@link System#nanoTime()} in this JVM. Prints p50, p99, p99.9 and the maximum, from the
 * sorted latencies; no histogram library. With {@code RESULT.json} it also writes them there as a
 * {@link LatencyResult}, which {@code BenchmarkReport --latency} puts on the benchmarks page.
 */
public final class RabbitLatency {
  /**
   * Threads that publish. One {@code publish} call waits for its confirm (about 0.7 ms here), so
   * one thread alone cannot keep up with 1,000 calls a second on this machine; an application
   * saving from several request threads publishes from several threads too.
   */
  private static final int PUBLISHERS = 8;

  private static final int WARMUP_SECONDS = 3;

  private RabbitLatency() {}

  /** Runs the measurement and prints the percentiles. */
  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path output = args.length > 2 ? Path.of(args[2]) : null;
    RabbitBroker broker = new RabbitBroker();
    int warmup = rate * WARMUP_SECONDS;
    int measured = rate * seconds;
    List<VersionedEvent> events = broker.events(warmup + measured);
    long[] scheduled = new long[events.size()];
    long[] handledAt = new long[events.size()];
    CountDownLatch all = new CountDownLatch(events.size());
    ExecutorService publishers = Executors.newFixedThreadPool(PUBLISHERS);
    try (RabbitEventBus bus = broker.eventBus()) {
      Subscription subscription =
          bus.subscribe(
              RabbitBroker.SUBSCRIPTION,
              1,
              event -> {
                handledAt[(int) event.version() - 1] = System.nanoTime();
                all.countDown();
              });
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      int late = 0;
      for (int i = 0; i < events.size(); i++) {
        long due = start + i * interval;
        long now = System.nanoTime();
        if (now < due) {
          LockSupport.parkNanos(due - now);
        } else if (now - due > interval && i >= warmup) {
          late++;
        }
        scheduled[i] = due;
        VersionedEvent event = events.get(i);
        publishers.execute(() -> bus.publish(List.of(event)));
      }
      publishers.shutdown();
      if (!all.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(all.getCount() + " events were never handled");
      }
      subscription.close();
      LatencyResult result = result(rate, seconds, late, scheduled, handledAt, warmup);
      System.out.printf(
          Locale.ROOT,
          "RabbitEventBus publish-to-handler latency, %d events at %d/s over %d s"
              + " from %d publishing threads (scheduler more than one interval late %d times):%n"
              + "%s%n",
          result.events(),
          rate,
          seconds,
          PUBLISHERS,
          late,
          result.summary());
      if (output != null) {
        result.write(output);
      }
    } finally {
      publishers.shutdownNow();
      broker.deleteAll(List.of(), List.of());
    }
  }

  private static LatencyResult result(
      int rate, int seconds, int late, long[] scheduled, long[] handledAt, int warmup) {
    long[] latencies = new long[scheduled.length - warmup];
    for (int i = warmup; i < scheduled.length; i++) {
      latencies[i - warmup] = handledAt[i] - scheduled[i];
    }
    Arrays.sort(latencies);
    return new LatencyResult(
        rate,
        seconds,
        WARMUP_SECONDS,
        latencies.length,
        PUBLISHERS,
        late,
        millis(latencies, 0.50),
        millis(latencies, 0.99),
        millis(latencies, 0.999),
        latencies[latencies.length - 1] / 1e6);
  }

  private static double millis(long[] sorted, double quantile) {
    int index = (int) Math.ceil(quantile * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1e6;
  }
}
