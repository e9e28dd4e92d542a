package io.cqrs.benchmarks.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Writes {@code docs/benchmarks.md} from a JMH JSON result file.
 *
 * <pre>
 * java -cp cqrs-benchmarks/target/benchmarks.jar io.cqrs.benchmarks.report.BenchmarkReport \
 *     RESULTS.json OUTPUT.md --command "how the results were made" [--note "text"]... \
 *     [--latency LATENCY.json]
 * </pre>
 *
 * <p>The page is {@code benchmarks.md.template} (beside this class) with the run's date, machine,
 * JDK, settings, command, notes, the targets table, the results table, the KV operations and CPU
 * time per command of the benchmarks that count them, and the publish-to-handler latency ({@code
 * RabbitLatency}'s result file, if one is given) filled in, and a chart per benchmark with a
 * baseline ({@link RatioCharts}) written as PNG into {@code benchmarks/} beside the page and shown
 * in it. Ratios are always a variant's ops/s divided by its baseline's, from the same run.
 */
public final class BenchmarkReport {
  private static final String TEMPLATE = "benchmarks.md.template";

  /** The directory, beside the page, that holds its charts. */
  static final String CHARTS = "benchmarks";

  private static final String NO_LATENCY =
      "Not measured in this run: `cqrs-benchmarks/run.sh` measures it when it runs the whole suite"
          + " (or with `RABBIT_LATENCY=1`).";

  private final JmhResults results;
  private final String command;
  private final List<String> notes;
  private final String machine;
  private final ZonedDateTime date;
  private final Optional<LatencyResult> latency;

  BenchmarkReport(
      JmhResults results, String command, List<String> notes, String machine, ZonedDateTime date) {
    this(results, command, notes, machine, date, Optional.empty());
  }

  BenchmarkReport(
      JmhResults results,
      String command,
      List<String> notes,
      String machine,
      ZonedDateTime date,
      Optional<LatencyResult> latency) {
    this.results = results;
    this.command = command;
    this.notes = List.copyOf(notes);
    this.machine = machine;
    this.date = date;
    this.latency = latency;
  }

  /** Reads the results, writes the page. */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      throw new IllegalArgumentException(
          "usage: BenchmarkReport RESULTS.json OUTPUT.md --command CMD [--note TEXT]..."
              + " [--latency LATENCY.json]");
    }
    String command = null;
    LatencyResult latency = null;
    List<String> notes = new ArrayList<>();
    for (int i = 2; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(args[i] + " needs a value");
      }
      switch (args[i]) {
        case "--command" -> command = args[i + 1];
        case "--note" -> notes.add(args[i + 1]);
        case "--latency" -> latency = LatencyResult.read(Path.of(args[i + 1]));
        default -> throw new IllegalArgumentException("Unknown option " + args[i]);
      }
    }
    if (command == null) {
      throw new IllegalArgumentException("--command is required: the page must say how to rerun");
    }
    BenchmarkReport report =
        new BenchmarkReport(
            JmhResults.read(Path.of(args[0])),
            command,
            notes,
            Machine.describe(),
            // The run's date, not the page's: the results file is written as the run ends.
            Files.getLastModifiedTime(Path.of(args[0])).toInstant().atZone(ZoneOffset.UTC),
            Optional.ofNullable(latency));
    Path output = Path.of(args[1]);
    Path directory = output.toAbsolutePath().getParent();
    Files.createDirectories(directory);
    // The charts beside the page, in a directory named after it: docs/benchmarks/*.png.
    List<String> charted = RatioCharts.write(report.results, directory.resolve(CHARTS));
    Files.writeString(output, report.render(charted), StandardCharsets.UTF_8);
  }

  /** The page, without charts. */
  String render() throws IOException {
    return render(List.of());
  }

  /** The page, showing the charts of {@code charted} (written by {@link RatioCharts#write}). */
  String render(List<String> charted) throws IOException {
    String page;
    try (InputStream in = BenchmarkReport.class.getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new IOException(TEMPLATE + " is missing from the class path");
      }
      page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return page.replace(
            "{{date}}", date.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
        .replace("{{machine}}", machine)
        .replace("{{jvm}}", results.jvm())
        .replace("{{settings}}", results.settings())
        .replace("{{command}}", command)
        .replace(
            "{{notes}}", notes.stream().map(n -> "> " + n).collect(Collectors.joining("\n>\n")))
        .replace("{{targets}}", targetsTable())
        .replace("{{results}}", resultsTable())
        .replace("{{charts}}", RatioCharts.markdown(charted, CHARTS))
        .replace("{{kvCounts}}", CommandCounters.kvTable(results))
        .replace("{{cpuCounts}}", CommandCounters.cpuTable(results))
        .replace("{{latency}}", latency.map(LatencyResult::describe).orElse(NO_LATENCY));
  }

  private String targetsTable() {
    StringBuilder table = new StringBuilder("| Target | Measured | Met |\n|---|---|---|\n");
    List<String> missed = new ArrayList<>();
    for (Target target : Targets.all()) {
      Optional<Target.Outcome> outcome = target.evaluate(results);
      if (outcome.isPresent() && outcome.get().verdict() == Target.Verdict.NOT_MET) {
        missed.add(target.description() + " (" + outcome.get().measured() + ")");
      }
      table
          .append("| ")
          .append(target.description())
          .append(" | ")
          .append(outcome.map(Target.Outcome::measured).orElse("not run"))
          .append(" | ")
          .append(outcome.map(o -> o.verdict().text()).orElse("not run"))
          .append(" |\n");
    }
    table.append(
        missed.isEmpty()
            ? "\n**Every target that was run was met in this run.**\n"
            : "\n**Not met in this run:**\n\n- " + String.join("\n- ", missed) + "\n");
    return table.toString();
  }

  private String resultsTable() {
    StringBuilder table =
        new StringBuilder(
            "| Benchmark | Variant | Params | ops/s | ± (99.9%) | B/op | Ratio to baseline |\n"
                + "|---|---|---|--:|--:|--:|--:|\n");
    for (Result result : results.results()) {
      table
          .append("| ")
          .append(result.benchmark())
          .append(" | ")
          .append(result.variant())
          .append(" | ")
          .append(params(result.params()))
          .append(" | ")
          .append(count(result.score()))
          .append(" | ")
          .append(Double.isNaN(result.error()) ? "n/a" : count(result.error()))
          .append(" | ")
          .append(bytes(result.allocatedPerOp()))
          .append(" | ")
          .append(ratio(result))
          .append(" |\n");
    }
    return table.toString();
  }

  private String ratio(Result result) {
    String baseline = Targets.BASELINES.get(result.benchmark());
    if (baseline == null) {
      return "";
    }
    if (baseline.equals(result.variant())) {
      return "1.00 (baseline)";
    }
    return results
        .find(result.benchmark(), baseline, result.params())
        .map(
            base ->
                String.format(Locale.ROOT, "%.2f × %s", result.score() / base.score(), baseline))
        .orElse("baseline not run");
  }

  private static String params(Map<String, String> params) {
    return params.isEmpty()
        ? ""
        : params.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(", "));
  }

  private static String count(double value) {
    return value >= 100
        ? String.format(Locale.ROOT, "%,.0f", value)
        : String.format(Locale.ROOT, "%.2f", value);
  }

  private static String bytes(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    return value >= 100
        ? String.format(Locale.ROOT, "%,.0f", value)
        : String.format(Locale.ROOT, "%.3f", value);
  }

  /** Describes the machine the report is written on, which is the one the benchmarks ran on. */
  static final class Machine {
    private Machine() {}

    static String describe() {
      String cpu = firstValue(Path.of("/proc/cpuinfo"), "model name").orElse("unknown CPU");
      String memory =
          firstValue(Path.of("/proc/meminfo"), "MemTotal")
              .map(kb -> String.format(Locale.ROOT, "%.0f GiB RAM", parseKb(kb) / 1024.0 / 1024.0))
              .orElse("unknown RAM");
      return String.format(
          Locale.ROOT,
          "%s, %d cores available to the JVM (nproc), %s, %s %s",
          cpu,
          Runtime.getRuntime().availableProcessors(),
          memory,
          System.getProperty("os.name"),
          System.getProperty("os.arch"));
    }

    private static double parseKb(String value) {
      return Double.parseDouble(value.replaceAll("[^0-9]", ""));
    }

    private static Optional<String> firstValue(Path file, String key) {
      if (!Files.isReadable(file)) {
        return Optional.empty();
      }
      try (Stream<String> lines = Files.lines(file)) {
        return lines
            .filter(line -> line.startsWith(key))
            .map(line -> line.substring(line.indexOf(':') + 1).trim())
            .findFirst();
      } catch (IOException e) {
        return Optional.empty();
      }
    }
  }
}
