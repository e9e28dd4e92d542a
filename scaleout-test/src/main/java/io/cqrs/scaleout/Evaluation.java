package io.cqrs.scaleout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Turns a finished run (store, read models, queues, process logs) into its {@link RunResult}. */
final class Evaluation {
  private final RunConfig config;
  private final String prefix;
  private final String broker;
  private final Processes processes;
  private final List<String> faults;
  private final List<SentCommand> sent;
  private final int duplicatesPublished;
  private final StoreContents store;
  private final ReadModelContents views;
  private final QueueState queues;
  private final boolean settled;

  Evaluation(
      RunConfig config,
      String prefix,
      String broker,
      Processes processes,
      List<String> faults,
      List<SentCommand> sent,
      int duplicatesPublished,
      StoreContents store,
      ReadModelContents views,
      QueueState queues,
      boolean settled) {
    this.config = config;
    this.prefix = prefix;
    this.broker = broker;
    this.processes = processes;
    this.faults = faults;
    this.sent = sent;
    this.duplicatesPublished = duplicatesPublished;
    this.store = store;
    this.views = views;
    this.queues = queues;
    this.settled = settled;
  }

  RunResult result(Duration publishing, Duration settledAfter) throws IOException {
    Invariants invariants = new Invariants(sent, store);
    List<Check> checks = new ArrayList<>();
    checks.add(quiescence(settledAfter));
    checks.addAll(invariants.checkAll());
    checks.addAll(new ReadModelInvariants(store, views, sent).checkAll());
    checks.add(queuesEmpty());
    checks.add(deadLettersAreThePoison());
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
        publishing,
        settledAfter,
        shares.stream().mapToLong(WorkerShare::conflicts).sum(),
        shares.stream().mapToLong(WorkerShare::duplicatesSkipped).sum(),
        shares.stream().mapToLong(WorkerShare::duplicatesRefused).sum(),
        List.copyOf(shares),
        List.copyOf(faults),
        checks,
        loadAverage());
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
