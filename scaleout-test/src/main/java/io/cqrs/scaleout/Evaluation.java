package io.cqrs.scaleout;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a finished run (store, read models, queues, process logs) into its {@link RunResult}. */
final class Evaluation {
  private final RunConfig config;
  private final String prefix;
  private final Processes processes;
  private final List<String> faults;
  private final List<SentCommand> sent;
  private final StoreContents store;
  private final ReadModelContents views;
  private final QueueState queues;
  private final boolean settled;

  Evaluation(
      RunConfig config,
      String prefix,
      Processes processes,
      List<String> faults,
      List<SentCommand> sent,
      StoreContents store,
      ReadModelContents views,
      QueueState queues,
      boolean settled) {
    this.config = config;
    this.prefix = prefix;
    this.processes = processes;
    this.faults = faults;
    this.sent = sent;
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
    Map<String, Long> logCounts = countLogLines();
    return new RunResult(
        config,
        prefix,
        processes.table(),
        sent.size(),
        invariants.outcomes().counts(),
        invariants.outcomes().rejectionsByReason(),
        publishing,
        settledAfter,
        logCounts.getOrDefault("conflicts", 0L),
        logCounts.getOrDefault("duplicates", 0L),
        workerConflicts(),
        List.copyOf(faults),
        checks);
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

  private Map<String, Long> countLogLines() throws IOException {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (ChildProcess worker : processes.workers()) {
      for (String line : Files.readAllLines(worker.log())) {
        if (line.contains("Conflict on ")) {
          counts.merge("conflicts", 1L, Long::sum);
        } else if (line.contains("was handled before")) {
          counts.merge("duplicates", 1L, Long::sum);
        }
      }
    }
    return counts;
  }

  /** Conflicts retried per worker: how much of the contended work each one did. */
  private Map<String, Long> workerConflicts() throws IOException {
    Map<String, Long> share = new LinkedHashMap<>();
    for (ChildProcess worker : processes.workers()) {
      long conflicts =
          Files.readAllLines(worker.log()).stream().filter(l -> l.contains("Conflict on ")).count();
      share.put(worker.name(), conflicts);
    }
    return share;
  }
}
