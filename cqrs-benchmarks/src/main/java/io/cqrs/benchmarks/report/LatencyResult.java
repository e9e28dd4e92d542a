package io.cqrs.benchmarks.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What one run of {@code RabbitLatency} measured: publish-to-handler latency through {@code
 * RabbitEventBus} at a steady rate. Written by that program as JSON, read by {@link
 * BenchmarkReport} to put it on the page.
 *
 * @param rate events per second scheduled
 * @param seconds how long the measured part ran (after the warm-up)
 * @param warmupSeconds how long the unmeasured warm-up at the same rate ran before it
 * @param events how many events were measured
 * @param publishers how many threads called {@code publish}, one event per call
 * @param late how often the scheduler was more than one interval behind its schedule
 * @param p50Millis the median latency in milliseconds
 * @param p99Millis the 99th percentile in milliseconds
 * @param p999Millis the 99.9th percentile in milliseconds
 * @param maxMillis the largest latency in milliseconds
 */
public record LatencyResult(
    int rate,
    int seconds,
    int warmupSeconds,
    int events,
    int publishers,
    int late,
    double p50Millis,
    double p99Millis,
    double p999Millis,
    double maxMillis) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads a result that {@link #write} wrote. */
  public static LatencyResult read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), LatencyResult.class);
  }

  /** Writes the result as JSON. */
  public void write(Path file) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
  }

  /** The figures in one line, as the program prints them. */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms",
        p50Millis,
        p99Millis,
        p999Millis,
        maxMillis);
  }

  /** The paragraph on the page. */
  String describe() {
    return String.format(
        Locale.ROOT,
        "**Publish-to-handler latency through RabbitEventBus at %,d events/s** (`RabbitLatency`,"
            + " %,d events over %d s after a %d s warm-up, %d publishing threads, one per-event"
            + " `publish` call each, one listener): **p50 %s ms, p99 %s ms**, p99.9 %s ms, max %s"
            + " ms. The scheduler fell more than one interval behind %,d times; latency is counted"
            + " from the scheduled send time, so such stalls show in the tail.",
        rate,
        events,
        seconds,
        warmupSeconds,
        publishers,
        millis(p50Millis),
        millis(p99Millis),
        millis(p999Millis),
        millis(maxMillis),
        late);
  }

  private static String millis(double value) {
    return String.format(Locale.ROOT, value < 10 ? "%.2f" : "%.0f", value);
  }
}
