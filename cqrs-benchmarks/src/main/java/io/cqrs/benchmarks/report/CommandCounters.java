package io.cqrs.benchmarks.report;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The Couchbase key-value work per command that benchmarks count with JMH event counters ({@code
 * CouchbaseDeduplicationBenchmark}): how many commands were measured, the KV operations and
 * requests they made, and the sequential round trips they waited for.
 */
final class KvCounts {
  /** Commands measured. */
  static final String COMMANDS = "commands";

  /** KV operations the commands started. */
  static final String OPERATIONS = "kvOperations";

  /** Requests sent for those operations, retries included. */
  static final String DISPATCHES = "kvDispatches";

  /** Stretches of time a command's thread waited with at least one operation in flight. */
  static final String ROUND_TRIPS = "roundTrips";

  private static final String NOT_MEASURED =
      "Not measured in this run: `CouchbaseDeduplicationBenchmark` counts them.";

  private KvCounts() {}

  /** KV operations per command of {@code result}, as the report prints it; n/a if not counted. */
  static String operations(Result result) {
    return format(result.eventsPer(OPERATIONS, COMMANDS));
  }

  /** A table of every result that counted its commands, or a sentence saying none did. */
  static String table(JmhResults results) {
    List<Result> counted =
        results.results().stream().filter(r -> r.events().containsKey(COMMANDS)).toList();
    if (counted.isEmpty()) {
      return NOT_MEASURED;
    }
    return "| Benchmark | Variant | Params | Commands counted | KV operations per command |"
        + " Requests sent per command | Sequential round trips per command |\n"
        + "|---|---|---|--:|--:|--:|--:|\n"
        + counted.stream().map(KvCounts::row).collect(Collectors.joining());
  }

  private static String row(Result result) {
    return String.format(
        Locale.ROOT,
        "| %s | %s | %s | %,.0f | %s | %s | %s |\n",
        result.benchmark(),
        result.variant(),
        result.params().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .sorted()
            .collect(Collectors.joining(", ")),
        result.events().get(COMMANDS),
        operations(result),
        format(result.eventsPer(DISPATCHES, COMMANDS)),
        format(result.eventsPer(ROUND_TRIPS, COMMANDS)));
  }

  private static String format(OptionalDouble value) {
    return value.isPresent() ? String.format(Locale.ROOT, "%.2f", value.getAsDouble()) : "n/a";
  }
}
