package io.cqrs.scaleout;

import io.cqrs.scaleout.Outcomes.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Turns a finished run (store, read models, queues, process logs) into its {@link RunResult}. */
final class Evaluation {
  private final RunConfig config;
  private final String prefix;
  private final String broker;
  private final Processes processes;
  private final FaultLog faults;
  private final List<SentCommand> sent;
  private final int duplicatesPublished;
  private final long warmupCommands;
  private final Duration warmup;
  private final StoreContents store;
  private final ReadModelContents views;
  private final QueueState queues;
  private final boolean settled;
  private final NodeLoss nodeLoss;
  private final Function<String, String> nodeName;

  Evaluation(
      RunConfig config,
      String prefix,
      String broker,
      Processes processes,
      FaultLog faults,
      List<SentCommand> sent,
      int duplicatesPublished,
      long warmupCommands,
      Duration warmup,
      StoreContents store,
      ReadModelContents views,
      QueueState queues,
      boolean settled,
      NodeLoss nodeLoss,
      Function<String, String> nodeName) {
    this.config = config;
    this.prefix = prefix;
    this.broker = broker;
    this.processes = processes;
    this.faults = faults;
    this.sent = sent;
    this.duplicatesPublished = duplicatesPublished;
    this.warmupCommands = warmupCommands;
    this.warmup = warmup;
    this.store = store;
    this.views = views;
    this.queues = queues;
    this.settled = settled;
    this.nodeLoss = nodeLoss;
    this.nodeName = nodeName;
  }

  RunResult result(Duration publishing, Duration settledAfter) throws IOException {
    Invariants invariants = new Invariants(sent, store);
    List<Check> checks = new ArrayList<>();
    checks.add(quiescence(settledAfter));
    checks.addAll(invariants.checkAll());
    checks.addAll(new ReadModelInvariants(store, views, sent).checkAll());
    checks.add(queuesEmpty());
    checks.add(deadLettersAreThePoison());
    if (!queues.types().isEmpty()) {
      checks.add(queueTypes());
    }
    if (nodeLoss != null) {
      checks.add(connectionsSpread());
      checks.add(consumedAgain());
    }
    List<WorkerShare> shares = new ArrayList<>();
    for (ChildProcess worker : processes.workers()) {
      shares.add(WorkerShare.fromLog(worker.name(), worker.log()));
    }
    return new RunResult(
        config,
        prefix,
        broker,
        processes.table(),
        sent.size(),
        duplicatesPublished,
        invariants.outcomes().counts(),
        invariants.outcomes().rejectionsByReason(),
        warmupCommands,
        warmup,
        measured(invariants.outcomes()),
        firstSent(),
        publishing,
        settledAfter,
        shares.stream().mapToLong(WorkerShare::conflicts).sum(),
        shares.stream().mapToLong(WorkerShare::duplicatesSkipped).sum(),
        shares.stream().mapToLong(WorkerShare::duplicatesRefused).sum(),
        List.copyOf(shares),
        faults.lines(),
        checks,
        loadAverage(),
        connections(),
        nodeLoss,
        timeline(invariants.outcomes()));
  }

  /**
   * The publishers' commands with an outcome: those with a send time (the harness's openings and
   * warm-up have none), each counted once.
   */
  private long measured(Outcomes outcomes) {
    return sent.stream()
        .filter(command -> command.sentAt() > 0)
        .map(command -> outcomes.of(command.messageId()))
        .filter(outcome -> outcome == Outcome.ACCEPTED || outcome == Outcome.REJECTED)
        .count();
  }

  /**
   * When the publishers sent their first command, on the run's clock: the clock starts as they are
   * launched, and a JVM takes a few seconds to start (after a warm-up, as they are told to go,
   * their JVMs started and connected).
   */
  private Duration firstSent() {
    long first = sent.stream().mapToLong(SentCommand::sentAt).filter(t -> t > 0).min().orElse(0);
    return Duration.ofMillis(first == 0 ? 0 : Math.max(0, first - faults.startMillis()));
  }

  /** The run second by second, from the publishers' send times and the store's outcome times. */
  private Timeline timeline(Outcomes outcomes) {
    long[] sentAt = new long[sent.size()];
    for (int i = 0; i < sentAt.length; i++) {
      sentAt[i] = sent.get(i).sentAt();
    }
    return Timeline.of(sentAt, outcomes.decidedAtMillis(), faults.startMillis(), faults.markers());
  }

  /** Per process, where each broker connection opened and recovered, from its log. */
  private List<String> connections() throws IOException {
    List<String> lines = new ArrayList<>();
    for (ChildProcess process : processes.all()) {
      List<String> histories = ConnectionLog.read(process.log()).describe(nodeName);
      lines.add(
          process.name()
              + ": "
              + (histories.isEmpty() ? "none logged" : String.join(", ", histories)));
    }
    return lines;
  }

  private Check queueTypes() {
    String type = config.queueType().name().toLowerCase(Locale.ROOT);
    Check.Builder check = new Check.Builder("every queue of the run is a " + type + " queue");
    queues
        .types()
        .forEach((queue, actual) -> check.expect(type.equals(actual), queue, type, actual));
    return check.build();
  }

  /**
   * Every node held some of the run's connections: were the buses not to shuffle the nodes, every
   * publisher would start at the first URI and every bus's second connection at the second, leaving
   * the third empty. With the shuffle, 3 workers and 3 publishers leave a node empty about once in
   * 800 runs.
   */
  private Check connectionsSpread() {
    return new Check.Builder("every node of the cluster held some of the run's broker connections")
        .expect(
            nodeLoss.nodesWithConnections() == nodeLoss.connectionsPerNode().size(),
            "connections per node before the kill",
            "at least one on each node",
            NodeLoss.perNode(nodeLoss.connectionsPerNode()))
        .build();
  }

  private Check consumedAgain() {
    return new Check.Builder(
            "the workers consumed again within "
                + nodeLoss.deadline().toSeconds()
                + " s of the node's loss")
        .expect(
            nodeLoss.consumedAgainInTime(),
            "node n" + nodeLoss.node(),
            "consumers back within " + nodeLoss.deadline().toSeconds() + " s",
            nodeLoss.consumingAgain() == null
                ? "not back"
                : nodeLoss.consumingAgain().toMillis() / 1000.0 + " s")
        .build();
  }

  private Check quiescence(Duration after) {
    return new Check.Builder("the run reached quiescence within " + config.quiescenceTimeout())
        .expect(
            settled, "queues and relay", "settled", "not settled after " + after.toSeconds() + " s")
        .build();
  }

  private Check queuesEmpty() {
    Check.Builder check = new Check.Builder("no message is left in any queue but the dead letters");
    queues
        .depths()
        .forEach(
            (queue, depth) -> {
              if (!queue.endsWith(".dlq")) {
                check.expect(depth == 0, "queue " + queue, 0, depth);
              }
            });
    return check.build();
  }

  private Check deadLettersAreThePoison() {
    Check.Builder check =
        new Check.Builder(
            "the dead-letter queues hold exactly the poison messages sent on purpose");
    List<String> expected = queues.poisonIds().stream().sorted().toList();
    List<String> actual = queues.deadLetteredIds().stream().sorted().toList();
    return check.expect(expected.equals(actual), "dead-letter queues", expected, actual).build();
  }

  /** The 1, 5 and 15 minute load averages, where {@code /proc/loadavg} tells them. */
  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + ", " + fields[1] + ", " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
