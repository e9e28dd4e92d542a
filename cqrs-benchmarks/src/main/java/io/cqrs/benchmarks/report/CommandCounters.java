package io.cqrs.benchmarks.report;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * What some benchmarks count per command with JMH event counters: the Couchbase key-value work of
 * {@code CouchbaseDeduplicationBenchmark} (operations, requests, sequential round trips) and the
 * calling thread's CPU time in {@code DeduplicationBenchmark}.
 */
final class CommandCounters {
  /** Commands measured. */
  static final String COMMANDS = "commands";

  /** KV operations the commands started. */
  static final String KV_OPERATIONS = "kvOperations";

  /** Requests sent for those operations, retries included. */
  static final String KV_DISPATCHES = "kvDispatches";

  /** Stretches of time a command's thread waited with at least one operation in flight. */
  static final String ROUND_TRIPS = "roundTrips";

  /** CPU time of the thread that ran the commands, in nanoseconds. */
  static final String CPU_NANOS = "cpuNanos";

  private CommandCounters() {}

  /** KV operations per command of {@code result}, as the report prints it; n/a if not counted. */
  static String kvOperations(Result result) {
    return format(result.eventsPer(KV_OPERATIONS, COMMANDS));
  }

  /** CPU time per command in microseconds, per iteration; empty if not counted. */
  static Optional<Estimate> cpuMicros(Result result) {
    return result
        .eventsPerIteration(CPU_NANOS, COMMANDS)
        .map(e -> new Estimate(e.mean() / 1000, e.error() / 1000));
  }

  /** A table of every result that counted KV operations, or a sentence saying none did. */
  static String kvTable(JmhResults results) {
    List<Result> counted = counting(results, KV_OPERATIONS);
    if (counted.isEmpty()) {
      return "Not measured in this run: `CouchbaseDeduplicationBenchmark` counts them.";
    }
    return "| Benchmark | Variant | Params | Commands counted | KV operations per command |"
        + " Requests sent per command | Sequential round trips per command |\n"
        + "|---|---|---|--:|--:|--:|--:|\n"
        + counted.stream()
            .map(
                r ->
                    row(
                        r,
                        kvOperations(r),
                        format(r.eventsPer(KV_DISPATCHES, COMMANDS)),
                        format(r.eventsPer(ROUND_TRIPS, COMMANDS))))
            .collect(Collectors.joining());
  }

  /** A table of every result that counted CPU time, or a sentence saying none did. */
  static String cpuTable(JmhResults results) {
    List<Result> counted = counting(results, CPU_NANOS);
    if (counted.isEmpty()) {
      return "Not measured in this run: `DeduplicationBenchmark` counts it.";
    }
    return "| Benchmark | Variant | Params | Commands counted | CPU µs per command | ± (99.9%) |"
        + " Ratio to baseline |\n"
        + "|---|---|---|--:|--:|--:|--:|\n"
        + counted.stream().map(r -> cpuRow(results, r)).collect(Collectors.joining());
  }

  private static String cpuRow(JmhResults results, Result result) {
    Optional<Estimate> cpu = cpuMicros(result);
    String baseline = Targets.BASELINES.get(result.benchmark());
    String ratio = "";
    if (baseline != null && baseline.equals(result.variant())) {
      ratio = "1.00 (baseline)";
    } else if (baseline != null) {
      Optional<Estimate> base =
          results.find(result.benchmark(), baseline, result.params()).flatMap(b -> cpuMicros(b));
      ratio =
          cpu.isPresent() && base.isPresent()
              ? String.format(
                  Locale.ROOT, "%.2f × %s", cpu.get().mean() / base.get().mean(), baseline)
              : "baseline not run";
    }
    return row(
        result,
        cpu.map(e -> String.format(Locale.ROOT, "%.3f", e.mean())).orElse("n/a"),
        cpu.map(
                e ->
                    Double.isNaN(e.error()) ? "n/a" : String.format(Locale.ROOT, "%.3f", e.error()))
            .orElse("n/a"),
        ratio);
  }

  private static List<Result> counting(JmhResults results, String counter) {
    return results.results().stream()
        .filter(r -> r.events().containsKey(COMMANDS) && r.events().containsKey(counter))
        .toList();
  }

  private static String row(Result result, String... cells) {
    return String.format(
        Locale.ROOT,
        "| %s | %s | %s | %,.0f | %s |\n",
        result.benchmark(),
        result.variant(),
        result.params().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .sorted()
            .collect(Collectors.joining(", ")),
        result.events().get(COMMANDS).total(),
        String.join(" | ", cells));
  }

  private static String format(OptionalDouble value) {
    return value.isPresent() ? String.format(Locale.ROOT, "%.2f", value.getAsDouble()) : "n/a";
  }
}
