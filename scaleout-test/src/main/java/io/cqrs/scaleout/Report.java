package io.cqrs.scaleout;

import io.cqrs.scaleout.Outcomes.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes the Markdown report of one or more runs. */
public final class Report {
  private Report() {}

  /** The report of a fault run, with a throughput table of further runs if any. */
  public static String markdown(RunResult run, List<RunResult> throughput, String servers) {
    StringBuilder md = new StringBuilder("# Scale-out test report\n\n");
    md.append("Servers: ").append(servers).append("  \n");
    md.append("Machine: ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" core(s)\n\n");
    md.append(run(run));
    if (!throughput.isEmpty()) {
      md.append("\n## Throughput by number of workers\n\n");
      md.append(
          "| workers | commands | accepted | rejected | conflicts retried | seconds | commands/s |\n");
      md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
      for (RunResult r : throughput) {
        md.append(
            String.format(
                "| %d | %d | %d | %d | %d | %.1f | %.0f |%n",
                r.config().workers(),
                r.sent(),
                r.outcomes().getOrDefault(Outcome.ACCEPTED, 0L),
                r.outcomes().getOrDefault(Outcome.REJECTED, 0L),
                r.conflicts(),
                r.settled().toMillis() / 1000.0,
                r.commandsPerSecond()));
      }
      md.append(
          "\nEvery process of these runs (workers, publishers, CouchbaseMock, RabbitMQ) shares the"
              + " same cores: with "
              + Runtime.getRuntime().availableProcessors()
              + " core(s) more workers add contention rather than capacity, so the figures show"
              + " the cost of coordination, not how far the design scales on real hardware.\n");
    }
    return md.toString();
  }

  private static String run(RunResult r) {
    StringBuilder md = new StringBuilder("## Run: " + r.config().label() + "\n\n");
    md.append("Prefix `").append(r.prefix()).append("`, ").append(r.config()).append("\n\n");
    md.append("### Processes\n\n");
    r.processes().forEach(p -> md.append("- ").append(p).append('\n'));
    md.append("\n### Commands\n\n");
    md.append(
        "| sent | accepted | rejected | lost | both | commands/s | conflicts retried | duplicates skipped |\n");
    md.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    md.append(
        String.format(
            "| %d | %d | %d | %d | %d | %.0f | %d | %d |%n%n",
            r.sent(),
            r.outcomes().getOrDefault(Outcome.ACCEPTED, 0L),
            r.outcomes().getOrDefault(Outcome.REJECTED, 0L),
            r.outcomes().getOrDefault(Outcome.LOST, 0L),
            r.outcomes().getOrDefault(Outcome.BOTH, 0L),
            r.commandsPerSecond(),
            r.conflicts(),
            r.duplicatesSkipped()));
    md.append("Rejections by reason: ").append(r.rejections()).append("  \n");
    md.append(
        String.format(
            "Published in %.1f s; settled %.1f s after the first command.%n%n",
            r.publishing().toMillis() / 1000.0, r.settled().toMillis() / 1000.0));
    md.append("Conflicts retried per worker (from each worker's log): ");
    md.append(r.workerShare()).append("\n\n### Faults injected\n\n");
    if (r.faults().isEmpty()) {
      md.append("none\n");
    }
    r.faults().forEach(f -> md.append("- ").append(f).append('\n'));
    md.append(
        "\n### Invariants\n\n| result | invariant | checked | violations |\n|---|---|---:|---:|\n");
    for (Check c : r.checks()) {
      md.append(
          String.format(
              "| %s | %s | %d | %d |%n",
              c.holds() ? "PASS" : "FAIL", c.name(), c.checked(), c.violations()));
    }
    for (Check c : r.checks()) {
      if (!c.holds()) {
        md.append("\nEvidence for \"").append(c.name()).append("\":\n\n");
        c.evidence().forEach(e -> md.append("- ").append(e).append('\n'));
      }
    }
    return md.toString();
  }

  /** Writes the report to {@code file}. */
  public static void write(Path file, String markdown) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, markdown);
  }

  /** The failed checks of a run, with evidence, for an assertion message. */
  public static String failures(RunResult r) {
    StringBuilder text = new StringBuilder();
    for (Check c : r.checks()) {
      if (!c.holds()) {
        text.append(c.name()).append(": ").append(c.violations()).append(" violation(s)\n");
        c.evidence().forEach(e -> text.append("  ").append(e).append('\n'));
      }
    }
    return text.toString();
  }

  static String counts(Map<Outcome, Long> outcomes) {
    return outcomes.toString();
  }
}
