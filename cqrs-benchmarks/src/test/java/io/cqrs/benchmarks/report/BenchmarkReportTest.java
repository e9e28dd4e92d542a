package io.cqrs.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkReportTest {
  @TempDir Path dir;

  private static String result(
      String benchmark, String variant, String params, double score, String error, double bytes) {
    return String.format(
        Locale.ROOT,
        """
        {"jmhVersion": "1.37", "benchmark": "io.cqrs.benchmarks.%s.%s", "mode": "thrpt",
         "forks": 1, "jdkVersion": "17.0.15", "vmName": "OpenJDK 64-Bit Server VM",
         "vmVersion": "17.0.15+6", "warmupIterations": 3, "warmupTime": "2 s",
         "measurementIterations": 5, "measurementTime": "2 s", "params": {%s},
         "primaryMetric": {"score": %s, "scoreError": %s, "scoreUnit": "ops/s"},
         "secondaryMetrics": {"gc.alloc.rate.norm": {"score": %s, "scoreUnit": "B/op"}}}
        """,
        benchmark,
        variant,
        params,
        score,
        error,
        bytes);
  }

  /** A result with the KV event counters of {@code CouchbaseDeduplicationBenchmark}. */
  private static String counted(
      String variant, double score, double commands, double operations, double roundTrips) {
    return String.format(
        Locale.ROOT,
        """
        {"jmhVersion": "1.37",
         "benchmark": "io.cqrs.benchmarks.CouchbaseDeduplicationBenchmark.%s",
         "mode": "thrpt", "forks": 1, "jdkVersion": "17.0.15",
         "vmName": "OpenJDK 64-Bit Server VM", "vmVersion": "17.0.15+6", "warmupIterations": 3,
         "warmupTime": "3 s", "measurementIterations": 5, "measurementTime": "3 s", "params": {},
         "primaryMetric": {"score": %s, "scoreError": 10, "scoreUnit": "ops/s"},
         "secondaryMetrics": {
           "gc.alloc.rate.norm": {"score": 500000, "scoreUnit": "B/op"},
           "gc.count": {"score": 5, "scoreUnit": "counts"},
           "commands": {"score": %s, "scoreError": "NaN", "scoreUnit": "#"},
           "kvOperations": {"score": %s, "scoreError": "NaN", "scoreUnit": "#"},
           "kvDispatches": {"score": %s, "scoreError": "NaN", "scoreUnit": "#"},
           "roundTrips": {"score": %s, "scoreError": "NaN", "scoreUnit": "#"}}}
        """,
        variant,
        score,
        commands,
        operations,
        operations,
        roundTrips);
  }

  /** A result of {@code DeduplicationBenchmark} with CPU time counted in three iterations. */
  private static String timed(
      String variant, double score, double cpuNanos1, double cpuNanos2, double cpuNanos3) {
    return String.format(
        Locale.ROOT,
        """
        {"jmhVersion": "1.37", "benchmark": "io.cqrs.benchmarks.DeduplicationBenchmark.%s",
         "mode": "thrpt", "forks": 1, "jdkVersion": "17.0.15",
         "vmName": "OpenJDK 64-Bit Server VM", "vmVersion": "17.0.15+6", "warmupIterations": 3,
         "warmupTime": "1 s", "measurementIterations": 3, "measurementTime": "1 s", "params": {},
         "primaryMetric": {"score": %s, "scoreError": "NaN", "scoreUnit": "ops/s"},
         "secondaryMetrics": {
           "commands": {"score": 3000, "scoreUnit": "#", "rawData": [[1000, 1000, 1000]]},
           "cpuNanos": {"score": %s, "scoreUnit": "#", "rawData": [[%s, %s, %s]]}}}
        """,
        variant,
        score,
        cpuNanos1 + cpuNanos2 + cpuNanos3,
        cpuNanos1,
        cpuNanos2,
        cpuNanos3);
  }

  private String render(String... results) throws IOException {
    Path file = dir.resolve("result.json");
    Files.writeString(file, "[" + String.join(",", results) + "]");
    return new BenchmarkReport(
            JmhResults.read(file),
            "cqrs-benchmarks/run.sh",
            List.of("The machine was shared."),
            "Test CPU, 2 cores",
            ZonedDateTime.of(2026, 1, 2, 3, 4, 0, 0, ZoneOffset.UTC))
        .render();
  }

  private static String row(String page, String start) {
    return page.lines().filter(line -> line.startsWith(start)).findFirst().orElseThrow();
  }

  @Test
  void the_main_writes_a_chart_per_benchmark_with_the_tables_ratios_and_links_it()
      throws Exception {
    Path file = dir.resolve("result.json");
    Files.writeString(
        file,
        "["
            + String.join(
                ",",
                result("DispatchBenchmark", "direct", "\"types\": \"1\"", 100, "5", 0.05),
                result("DispatchBenchmark", "generated", "\"types\": \"1\"", 90, "2", 0.08),
                result("DispatchBenchmark", "direct", "\"types\": \"50\"", 200, "40", 0.05),
                result("DispatchBenchmark", "generated", "\"types\": \"50\"", 170, "20", 24),
                result("RehydrateBenchmark", "handWrittenFold", "", 1000, "\"NaN\"", 1),
                result("RehydrateBenchmark", "cqrs", "", 800, "\"NaN\"", 1),
                result("UnknownBenchmark", "alone", "", 5, "1", 1))
            + "]");
    Path page = dir.resolve("docs").resolve("benchmarks.md");

    BenchmarkReport.main(
        new String[] {file.toString(), page.toString(), "--command", "cqrs-benchmarks/run.sh"});

    String markdown = Files.readString(page);
    for (String benchmark : List.of("DispatchBenchmark", "RehydrateBenchmark")) {
      Path chart = dir.resolve("docs").resolve("benchmarks").resolve(benchmark + ".png");
      java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(chart.toFile());
      assertThat(image).as(chart.toString()).isNotNull();
      assertThat(image.getWidth()).isEqualTo(RatioCharts.WIDTH);
      assertThat(markdown).contains("(benchmarks/" + benchmark + ".png)");
    }
    assertThat(dir.resolve("docs").resolve("benchmarks").resolve("UnknownBenchmark.png"))
        .doesNotExist();
    // The charted values are the table's ratios.
    java.util.Map<String, List<RatioCharts.Bar>> bars = RatioCharts.bars(JmhResults.read(file));
    assertThat(bars.get("DispatchBenchmark"))
        .extracting(
            RatioCharts.Bar::label,
            bar -> String.format(java.util.Locale.ROOT, "%.2f", bar.ratio()))
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("generated types=1", "0.90"),
            org.assertj.core.groups.Tuple.tuple("generated types=50", "0.85"));
    assertThat(row(markdown, "| DispatchBenchmark | generated | types=1"))
        .contains("0.90 × direct");
    assertThat(row(markdown, "| DispatchBenchmark | generated | types=50"))
        .contains("0.85 × direct");
    // Error bars from the confidence intervals: 88/105 .. 92/95 around 0.90; none without them.
    assertThat(bars.get("DispatchBenchmark").get(0).error())
        .isCloseTo(92.0 / 95 - 0.9, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(bars.get("RehydrateBenchmark").get(0).error()).isZero();
  }

  @Test
  void ratios_are_taken_against_the_baseline_with_the_same_parameters() throws IOException {
    String page =
        render(
            result("DispatchBenchmark", "direct", "\"types\": \"1\"", 100, "5", 0.05),
            result("DispatchBenchmark", "generated", "\"types\": \"1\"", 90, "2", 0.08),
            result("DispatchBenchmark", "direct", "\"types\": \"50\"", 200, "40", 0.05),
            result("DispatchBenchmark", "generated", "\"types\": \"50\"", 170, "20", 24));

    assertThat(row(page, "| DispatchBenchmark | generated | types=1"))
        .contains("| 90.00 | 2.00 | 0.080 | 0.90 × direct |");
    assertThat(row(page, "| DispatchBenchmark | generated | types=50"))
        .contains("| 0.85 × direct |");
    assertThat(row(page, "| DispatchBenchmark | direct | types=50")).endsWith("1.00 (baseline) |");
  }

  @Test
  void a_target_says_whether_it_holds_at_the_ends_of_the_error_bars() throws IOException {
    String page =
        render(
            result("DispatchBenchmark", "direct", "\"types\": \"1\"", 100, "5", 0.05),
            result("DispatchBenchmark", "generated", "\"types\": \"1\"", 90, "2", 0.08),
            result("DispatchBenchmark", "direct", "\"types\": \"50\"", 200, "40", 0.05),
            result("DispatchBenchmark", "generated", "\"types\": \"50\"", 186, "20", 24),
            result("DispatchBenchmark", "direct", "\"types\": \"5\"", 100, "1", 0.05),
            result("DispatchBenchmark", "generated", "\"types\": \"5\"", 99, "1", 0.05));

    assertThat(row(page, "| Issue 14. Dispatch, 1 event type: at most 1.1x"))
        .contains("generated = 0.90 × direct (at least 0.91 needed; 0.84 at the ends")
        .endsWith("| **no** |");
    assertThat(row(page, "| Issue 14. Dispatch, 50 event types: at most 1.1x"))
        .contains("generated = 0.93 × direct (at least 0.91 needed; 0.69 at the ends")
        .endsWith("| yes, on the means (not at the ends of the error bars) |");
    assertThat(row(page, "| Issue 14. Dispatch, 5 event types: at most 1.1x"))
        .contains("generated = 0.99 × direct (at least 0.91 needed; 0.97 at the ends")
        .endsWith("| yes |");
    assertThat(row(page, "| Issue 14. Dispatch, 20 event types: at most 1.1x"))
        .endsWith("| not run | not run |");
    assertThat(row(page, "| 1. Dispatch, 1 event type: no allocation")).endsWith("| yes |");
    assertThat(row(page, "| 1. Dispatch, 50 event types: no allocation"))
        .contains("24.000 B per event")
        .endsWith("| **no** |");
  }

  @Test
  void missed_and_missing_targets_are_reported_as_such() throws IOException {
    String page =
        render(
            result("RehydrateBenchmark", "handWrittenFold", "", 100, "\"NaN\"", 200),
            result("RehydrateBenchmark", "cqrs", "", 40, "\"NaN\"", 800_000),
            result("RehydrateBenchmark", "axon", "", 4, "\"NaN\"", 60_000_000),
            result("CommandPathBenchmark", "axon", "", 10_000, "100", 25_000),
            result("CommandPathBenchmark", "cqrsDispatch", "", 450_000, "1000", 2_000));

    assertThat(row(page, "| 2. Rehydrate 100,000 events: at least 50%"))
        .contains("cqrs = 0.40 × handWrittenFold")
        .endsWith("| **no** |");
    assertThat(row(page, "| 2. Rehydrate 100,000 events: at least 7x")).endsWith("| yes |");
    assertThat(row(page, "| Issue 14. Command path (dispatch manager): at least 15x"))
        .contains("cqrsDispatch = 45.00 × axon")
        .endsWith("| yes |");
    assertThat(row(page, "| Issue 14. Command path (through the in-memory command bus): at least"))
        .endsWith("| not run | not run |");
    assertThat(row(page, "| Issue 14. Command path (dispatch manager): at most 1 KB"))
        .contains("cqrsDispatch allocates 2000.000 B per command (less than 1024.0 needed)")
        .endsWith("| **no** |");
    assertThat(row(page, "| Issue 14. Command path (through the in-memory command bus): at most"))
        .endsWith("| not run | not run |");
    assertThat(row(page, "| RehydrateBenchmark | cqrs |")).contains("| n/a | 800,000 |");
    assertThat(page)
        .contains(
            "**Not met in this run:**\n\n- 2. Rehydrate 100,000 events: at least 50% of the"
                + " hand-written fold (cqrs = 0.40 × handWrittenFold");
  }

  @Test
  void kv_operations_and_round_trips_are_reported_per_command() throws IOException {
    String page =
        render(
            counted("without", 300, 1_000, 10_000, 9_010),
            counted("atomic", 290, 1_000, 10_000, 9_020),
            counted("atomicAndLookup", 270, 2_000, 22_000, 20_000));

    assertThat(row(page, "| CouchbaseDeduplicationBenchmark | atomicAndLookup |  | 2,000 |"))
        .isEqualTo(
            "| CouchbaseDeduplicationBenchmark | atomicAndLookup |  | 2,000 | 11.00 | 11.00 |"
                + " 10.00 |");
    assertThat(row(page, "| CouchbaseDeduplicationBenchmark | atomic |  | 290 |"))
        .endsWith("| 0.97 × without |");
    assertThat(page).doesNotContain("Not measured in this run: `CouchbaseDeduplicationBenchmark`");
  }

  @Test
  void an_extra_round_trip_misses_its_target_and_a_fraction_of_one_does_not() throws IOException {
    String page =
        render(
            counted("without", 300, 1_000, 10_000, 9_010),
            counted("atomic", 290, 1_000, 10_000, 9_020),
            counted("atomicAndLookup", 270, 1_000, 11_000, 10_000));

    assertThat(row(page, "| Issue 12. Deduplication on Couchbase (save with the command):"))
        .contains(
            "atomic: 9.02 sequential round trips per command (10.00 KV operations); without: 9.01"
                + " (10.00); +0.01 (less than 0.50 more needed)")
        .endsWith("| yes |");
    assertThat(row(page, "| Issue 12. Deduplication on Couchbase (save with the command, and"))
        .contains("atomicAndLookup: 10.00 sequential round trips per command (11.00 KV operations)")
        .contains("+0.99")
        .endsWith("| **no** |");
    assertThat(row(page, "| Issue 12. Deduplication in memory (save with the command):"))
        .endsWith("| not run | not run |");
  }

  @Test
  void cpu_time_per_command_is_a_mean_over_iterations_and_has_its_own_target() throws IOException {
    String page =
        render(
            timed("without", 300_000, 3_000_000, 3_200_000, 3_100_000),
            timed("atomic", 280_000, 3_100_000, 3_300_000, 3_200_000),
            timed("atomicAndLookup", 250_000, 3_700_000, 3_700_000, 3_700_000));

    assertThat(row(page, "| DeduplicationBenchmark | atomic |  | 3,000 |"))
        .startsWith("| DeduplicationBenchmark | atomic |  | 3,000 | 3.200 | 1.824 | ")
        .endsWith("| 1.03 × without |");
    assertThat(row(page, "| DeduplicationBenchmark | without |  | 3,000 |"))
        .endsWith("| 1.00 (baseline) |");
    assertThat(
            row(
                page,
                "| Issue 12. Deduplication in memory (save with the command): at most 10% overhead,"
                    + " in CPU"))
        .contains("atomic: 3.200 µs of CPU per command; without: 3.100 µs; 1.03 ×")
        .endsWith("| yes, on the means (not at the ends of the error bars) |");
    assertThat(
            row(
                page,
                "| Issue 12. Deduplication in memory (save with the command, and deduplicate(true)):"
                    + " at most 10% overhead, in CPU"))
        .contains("1.19 ×")
        .endsWith("| **no** |");
    assertThat(
            row(
                page,
                "| Issue 12. Deduplication in memory (save with the command): at most 10% overhead,"
                    + " in throughput"))
        .contains("atomic = 0.93 × without (at least 0.91 needed")
        .endsWith("| yes |");
  }

  @Test
  void a_run_without_counters_says_so() throws IOException {
    String page = render(result("DispatchBenchmark", "direct", "\"types\": \"1\"", 1, "0", 0));

    assertThat(page)
        .contains("Not measured in this run: `CouchbaseDeduplicationBenchmark` counts them.")
        .contains("Not measured in this run: `DeduplicationBenchmark` counts it.");
  }

  @Test
  void the_page_names_the_run_its_machine_and_how_to_reproduce_it() throws IOException {
    String page = render(result("DispatchBenchmark", "direct", "\"types\": \"1\"", 1, "0", 0));

    assertThat(page)
        .contains("- **Date:** 2026-01-02 03:04 UTC")
        .contains("- **Machine:** Test CPU, 2 cores")
        .contains("- **JVM:** JDK 17.0.15 (OpenJDK 64-Bit Server VM, 17.0.15+6)")
        .contains("JMH 1.37; DispatchBenchmark: 1 fork(s), 3 warm-up iteration(s) of 2 s")
        .contains("> The machine was shared.")
        .contains("**Every target that was run was met in this run.**")
        .contains("```\ncqrs-benchmarks/run.sh\n```")
        .doesNotContain("{{");
  }

  @Test
  void the_latency_run_is_on_the_page_when_given_and_said_to_be_missing_when_not()
      throws IOException {
    Path results = dir.resolve("result.json");
    Files.writeString(
        results, "[" + result("RabbitBusBenchmark", "raw", "", 12_000, "500", 6_000) + "]");
    Path latencyFile = dir.resolve("latency.json");
    new LatencyResult(1_000, 10, 3, 10_000, 8, 12, 1.234, 8.5, 20.25, 31.0).write(latencyFile);
    ZonedDateTime date = ZonedDateTime.of(2026, 1, 2, 3, 4, 0, 0, ZoneOffset.UTC);

    String with =
        new BenchmarkReport(
                JmhResults.read(results),
                "cqrs-benchmarks/run.sh",
                List.of(),
                "Test CPU",
                date,
                Optional.of(LatencyResult.read(latencyFile)))
            .render();
    String without =
        new BenchmarkReport(JmhResults.read(results), "run.sh", List.of(), "Test CPU", date)
            .render();

    assertThat(with)
        .contains("## Latency\n\n**Publish-to-handler latency through RabbitEventBus at 1,000")
        .contains("10,000 events over 10 s after a 3 s warm-up, 8 publishing threads")
        .contains("**p50 1.23 ms, p99 8.50 ms**, p99.9 20 ms, max 31 ms")
        .contains("more than one interval behind 12 times")
        .doesNotContain("{{");
    assertThat(without).contains("## Latency\n\nNot measured in this run").doesNotContain("{{");
  }

  @Test
  void an_empty_result_file_is_refused_with_its_name() throws IOException {
    Path file = dir.resolve("empty.json");
    Files.writeString(file, "[]");

    assertThatThrownBy(() -> JmhResults.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("empty.json");
  }
}
