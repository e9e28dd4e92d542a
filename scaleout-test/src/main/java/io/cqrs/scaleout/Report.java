package io.cqrs.scaleout;

import io.cqrs.ObjectMappers;
import io.cqrs.scaleout.Outcomes.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes the Markdown report of one or more runs, with each run's charts over time ({@link
 * TimelineCharts}) in a directory beside it, {@link #CHARTS}.
 */
public final class Report {
  /** The directory of the charts and their tables, beside the report, named after it. */
  public static final String CHARTS = "scaleout-report";

  private Report() {}

  /**
   * The report of a fault run, with a throughput table of further runs if any.
   *
   * @param run the fault run, or {@code null} if only throughput runs were made
   */
  public static String markdown(RunResult run, List<RunResult> throughput, String servers) {
    StringBuilder md = new StringBuilder("# Scale-out test report\n\n");
    md.append("Servers: ").append(servers).append("  \n");
    md.append("Machine: ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" core(s)  \n");
    md.append("Listener threads per worker: ")
        .append(Processes.LISTENERS)
        .append(" for commands, as many for events (`-Dscaleout.listeners`)\n\n");
    md.append(run == null ? "No fault run: the throughput runs only.\n" : run(run));
    if (!throughput.isEmpty()) {
      md.append("\n## Throughput by number of workers\n\n");
      md.append(
          "| workers | warm-up (cold) | commands | duplicates published | accepted | rejected"
              + " | conflicts retried | measured | seconds | commands/s | commands per worker"
              + " | invariants | load average (1, 5, 15 min) |\n");
      md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n");
      for (RunResult r : throughput) {
        md.append(
            String.format(
                "| %d | %s | %d | %d | %d | %d | %d | %d | %.1f | %.0f | %s | %s | %s |%n",
                r.config().workers(),
                warmup(r),
                r.sent(),
                r.duplicatesPublished(),
                r.outcomes().getOrDefault(Outcome.ACCEPTED, 0L),
                r.outcomes().getOrDefault(Outcome.REJECTED, 0L),
                r.conflicts(),
                r.measured(),
                r.secondsToSettle(),
                r.commandsPerSecond(),
                r.workerShare().stream()
                    .map(w -> String.valueOf(w.commands()))
                    .collect(Collectors.joining(" / ")),
                r.passed() ? "all hold" : "VIOLATED",
                r.loadAverage()));
      }
      md.append(
          "\nBefore the clock starts, the harness sends the warm-up's commands and waits until the"
              + " workers have settled them, so that the figure is that of warm workers; the"
              + " warm-up column gives its size, how long it took and its own pace, that of"
              + " workers starting cold. Then the publishers send their commands (and their"
              + " duplicates) as fast as the broker confirms them; seconds run from their first"
              + " command sent until the run was first found quiet (queues empty, relay and"
              + " processors caught up), and commands/s divides the measured commands (the"
              + " publishers' commands with an outcome) by them. Commands, accepted and rejected"
              + " count every command of the run, warm-up and openings included, and every"
              + " invariant covers them all; commands per worker counts what each worker handled"
              + " according to its log, the transfer process's commands included. Every process of"
              + " these runs (workers, publishers,"
              + " CouchbaseMock, RabbitMQ) and whatever else runs on the machine share the same "
              + Runtime.getRuntime().availableProcessors()
              + " core(s): here more workers add contention rather than capacity, so the figures"
              + " show the cost of coordination, not how far the design scales on real hardware,"
              + " where each worker would have cores of its own.\n");
      for (RunResult r : throughput) {
        md.append("\n### Over time, ")
            .append(r.config().workers())
            .append(" worker(s)\n\n")
            .append(clock(r))
            .append("\n\n")
            .append(overTime(r));
      }
    }
    return md.toString();
  }

  /**
   * Writes the charts and tables of every run into {@link #CHARTS} beside {@code report}, under the
   * names the Markdown links to, in place of whatever that directory held.
   *
   * @param run the fault run, or {@code null}
   */
  public static void writeCharts(Path report, RunResult run, List<RunResult> throughput)
      throws IOException {
    Path directory = report.resolveSibling(CHARTS);
    if (Files.isDirectory(directory)) {
      // An earlier report's charts (another profile's runs) would otherwise lie beside this one's.
      try (var old = Files.list(directory)) {
        for (Path file : old.toList()) {
          Files.delete(file);
        }
      }
    }
    List<RunResult> runs = new ArrayList<>(throughput);
    if (run != null) {
      runs.add(0, run);
    }
    for (RunResult r : runs) {
      TimelineCharts.write(r.timeline(), r.config().label(), directory, name(r));
    }
  }

  /**
   * The file name stem of a run's charts: {@code fault-run}, or {@code throughput-2-workers} for a
   * throughput run (no faults, no rate limit).
   */
  static String name(RunResult r) {
    return r.config().throughput()
        ? "throughput-" + r.config().workers() + "-workers"
        : "fault-run";
  }

  private static String run(RunResult r) {
    StringBuilder md = new StringBuilder("## Run: " + r.config().label() + "\n\n");
    md.append("Prefix `").append(r.prefix()).append("`, ").append(r.config()).append("  \n");
    md.append("Broker: ").append(r.broker()).append("  \n");
    md.append("Load average (1, 5, 15 min) at the end: ").append(r.loadAverage()).append("\n\n");
    md.append("### Processes\n\n");
    r.processes().forEach(p -> md.append("- ").append(p).append('\n'));
    md.append("\n### Commands\n\n");
    md.append(
        "| sent | duplicates published | accepted | rejected | lost | both | commands/s"
            + " | conflicts retried | duplicates skipped | duplicates refused at commit |\n");
    md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    md.append(
        String.format(
            "| %d | %d | %d | %d | %d | %d | %.0f | %d | %d | %d |%n%n",
            r.sent(),
            r.duplicatesPublished(),
            r.outcomes().getOrDefault(Outcome.ACCEPTED, 0L),
            r.outcomes().getOrDefault(Outcome.REJECTED, 0L),
            r.outcomes().getOrDefault(Outcome.LOST, 0L),
            r.outcomes().getOrDefault(Outcome.BOTH, 0L),
            r.commandsPerSecond(),
            r.conflicts(),
            r.duplicatesSkipped(),
            r.duplicatesRefused()));
    md.append(
        "Sent counts each command once; duplicates published are second publications of a"
            + " command with the same message id. Duplicates skipped (found handled before the"
            + " handler ran) and refused at commit (the stream already held the command's effect)"
            + " count deliveries, from the workers' logs: they include the publishers' resends"
            + " after a broker failure and the transfer process's repeated steps, so they need not"
            + " add up to the duplicates published.  \n");
    md.append("Rejections by reason: ").append(r.rejections()).append("  \n");
    md.append(clock(r)).append("\n\n");
    md.append(workers(r)).append("\n### Faults injected\n\n");
    if (r.faults().isEmpty()) {
      md.append("none\n");
    }
    r.faults().forEach(f -> md.append("- ").append(f).append('\n'));
    md.append("\n### Over time\n\n").append(overTime(r));
    if (r.nodeLoss() != null) {
      md.append(nodeLoss(r.nodeLoss()));
    }
    md.append("\n### Broker connections (from each process's log)\n\n");
    r.connections().forEach(c -> md.append("- ").append(c).append('\n'));
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

  /** A throughput run's warm-up: its commands, seconds and commands/s, or {@code none}. */
  private static String warmup(RunResult r) {
    return r.warmupCommands() == 0
        ? "none"
        : String.format(
            "%d in %.1f s, %.0f/s",
            r.warmupCommands(), r.warmup().toMillis() / 1000.0, r.warmupCommandsPerSecond());
  }

  /** The run's charts and the link to their table. */
  private static String overTime(RunResult r) {
    return TimelineCharts.markdown(TimelineCharts.ChartFiles.of(name(r)), CHARTS, r.timeline());
  }

  /** When the run's commands were sent and when it settled, on the run's clock. */
  private static String clock(RunResult r) {
    return String.format(
        "On the run's clock (from the publishers' launch, or their go after a warm-up, as the"
            + " faults and the charts): first"
            + " command sent at %.1f s, last confirmed at %.1f s, settled at %.1f s, so %.1f s"
            + " from the first command to quiescence.",
        r.firstSent().toMillis() / 1000.0,
        r.publishing().toMillis() / 1000.0,
        r.settled().toMillis() / 1000.0,
        r.secondsToSettle());
  }

  /** The node-loss fault of a cluster run: where the connections were, what was lost, recovery. */
  private static String nodeLoss(NodeLoss loss) {
    StringBuilder md = new StringBuilder("\n### Node loss\n\n");
    md.append("Cluster: ").append(loss.cluster()).append("  \n");
    md.append(
            String.format(
                "Connections of the run per node before the kill (rabbitmqctl list_connections):"
                    + " %s; node n%d killed (SIGKILL), the one holding the most.  %n",
                NodeLoss.perNode(loss.connectionsPerNode()), loss.node()))
        .append("Connections it held: ")
        .append(
            loss.lostConnections().isEmpty() ? "none" : String.join(", ", loss.lostConnections()))
        .append("  \n");
    md.append(
        loss.consumingAgain() == null
            ? "Workers consuming again: NOT within " + loss.deadline().toSeconds() + " s  \n"
            : String.format(
                "Workers consuming again %.1f s after the kill (all %d consumers of the run's"
                    + " queues back, every lost consuming connection recovered on another node)."
                    + "  %n",
                loss.consumingAgain().toMillis() / 1000.0, loss.consumersBefore()));
    md.append(
        loss.restartTook() == null
            ? "The node was not restarted.\n"
            : String.format(
                "Node n%d restarted and rejoined in %.1f s; the run's connections per node then:"
                    + " %s (a connection stays on the node it recovered to).%n",
                loss.node(),
                loss.restartTook().toMillis() / 1000.0,
                NodeLoss.perNode(loss.connectionsPerNodeAfterRestart())));
    return md.toString();
  }

  /** The per-worker table: what each worker handled, from its log. */
  private static String workers(RunResult r) {
    long total = r.workerShare().stream().mapToLong(WorkerShare::commands).sum();
    StringBuilder md = new StringBuilder("### Share per worker (from each worker's log)\n\n");
    md.append(
        "| worker | commands handled | of which rejected | share | duplicates skipped"
            + " | duplicates refused at commit | conflicts retried |\n"
            + "|---|---:|---:|---:|---:|---:|---:|\n");
    for (WorkerShare w : r.workerShare()) {
      md.append(
          String.format(
              "| %s | %d | %d | %.0f %% | %d | %d | %d |%n",
              w.worker(),
              w.commands(),
              w.rejected(),
              total == 0 ? 0.0 : 100.0 * w.commands() / total,
              w.duplicatesSkipped(),
              w.duplicatesRefused(),
              w.conflicts()));
    }
    md.append(
        "\nCommands handled include the debits and credits the transfer process sends, so they"
            + " outnumber the commands sent.\n");
    return md.toString();
  }

  /** Writes the report to {@code file}. */
  public static void write(Path file, String markdown) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, markdown);
  }

  /**
   * Writes the throughput runs' figures as JSON, {@code [{"workers": 1, "commandsPerSecond": 123.4,
   * "measuredCommands": 600, "seconds": 4.9, "warmupCommands": 600, "warmupCommandsPerSecond":
   * 98.2}, ...]}, in the order of the runs.
   */
  public static void writeThroughput(Path file, List<RunResult> throughput) throws IOException {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (RunResult r : throughput) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("workers", r.config().workers());
      row.put("commandsPerSecond", Math.round(r.commandsPerSecond() * 10) / 10.0);
      row.put("measuredCommands", r.measured());
      row.put("seconds", Math.round(r.secondsToSettle() * 10) / 10.0);
      row.put("warmupCommands", r.warmupCommands());
      row.put("warmupCommandsPerSecond", Math.round(r.warmupCommandsPerSecond() * 10) / 10.0);
      rows.add(row);
    }
    Files.createDirectories(file.getParent());
    ObjectMappers.create().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), rows);
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
