package io.cqrs.scaleout;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Injects a run's faults while its publishers send, each once the publishers have sent a given
 * share of their commands: SIGKILL a worker and start another (30%), force-close every broker
 * connection of the run (50%), stop and start the broker application (65%), add a slow consumer (at
 * the start). A fault the environment does not allow is reported as skipped, with why.
 */
final class FaultInjector {
  private static final Duration WORKER_START = Duration.ofSeconds(120);

  private final RunConfig config;
  private final Processes processes;
  private final BrokerControl broker;
  private final String prefix;
  private final Consumer<String> record;

  FaultInjector(
      RunConfig config,
      Processes processes,
      BrokerControl broker,
      String prefix,
      Consumer<String> record) {
    this.config = config;
    this.processes = processes;
    this.broker = broker;
    this.prefix = prefix;
    this.record = record;
  }

  /** Injects the faults at their points, returning when the publishers have all finished. */
  void runWhile(List<ChildProcess> publishers) {
    long total = (long) config.publishers() * config.commandsPerPublisher();
    if (config.slowConsumer()) {
      ChildProcess slow = processes.startWorker(List.of("-Xint"), WORKER_START);
      record.accept("slow consumer " + slow.name() + " (pid " + slow.pid() + ", -Xint) joined");
    }
    if (config.killWorker() && awaitShare(publishers, total, 0.30)) {
      killAndReplace();
    }
    // Publishers usually finish long before the workers drain the queue, so the later faults
    // come right after the first: the workers are still busy with the backlog.
    if (config.closeConnections()) {
      closeConnections();
    }
    if (config.restartBroker()) {
      restartBroker();
    }
    Await.until(() -> publishers.stream().noneMatch(ChildProcess::isAlive), Duration.ofMinutes(10));
  }

  private void killAndReplace() {
    ChildProcess victim = processes.workers().get(0);
    victim.kill();
    processes.ended(victim, "SIGKILL");
    record.accept("SIGKILL " + victim.name() + " (pid " + victim.pid() + ")");
    ChildProcess replacement = processes.startWorker(List.of(), WORKER_START);
    record.accept(
        "started " + replacement.name() + " (pid " + replacement.pid() + ") in its place");
  }

  private void closeConnections() {
    if (!broker.hasCtl()) {
      record.accept("connection close SKIPPED: " + broker.whyNoCtl());
      return;
    }
    int closed = broker.closeConnections(prefix, "scale-out test: forced close");
    record.accept("force-closed " + closed + " broker connection(s) of the run (rabbitmqctl)");
  }

  private void restartBroker() {
    if (!broker.mayStopBroker()) {
      record.accept(
          "broker stop_app/start_app SKIPPED: "
              + (broker.hasCtl() ? "CQRS_SCALEOUT_BROKER_CONTROL=false" : broker.whyNoCtl()));
      return;
    }
    broker.stopApp();
    record.accept("rabbitmqctl stop_app");
    broker.startApp();
    record.accept("rabbitmqctl start_app (broker up again)");
  }

  /**
   * Waits until the publishers sent {@code share} of all commands; false if they finished first.
   */
  private static boolean awaitShare(List<ChildProcess> publishers, long total, double share) {
    return Await.until(
            () ->
                sent(publishers) >= total * share
                    || publishers.stream().noneMatch(ChildProcess::isAlive),
            Duration.ofMinutes(10))
        && publishers.stream().anyMatch(ChildProcess::isAlive);
  }

  /** The publishers' last {@code SENT n} progress lines, summed. */
  static long sent(List<ChildProcess> publishers) {
    long sum = 0;
    for (ChildProcess publisher : publishers) {
      List<String> markers = publisher.markers();
      for (int i = markers.size() - 1; i >= 0; i--) {
        if (markers.get(i).startsWith("SENT ")) {
          sum += Long.parseLong(markers.get(i).substring(5).strip());
          break;
        }
      }
    }
    return sum;
  }
}
