package io.cqrs.scaleout;

import io.cqrs.example.bank.Await;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Injects a run's faults while its publishers send, each once the publishers have sent a given
 * share of their commands: SIGKILL a worker and start another (25 %), SIGKILL the cluster node
 * holding the most of the run's connections ({@link NodeKill}, 33 %), force-close every broker
 * connection of the run (50 %), restart the killed node (67 %), stop and start the broker
 * application (75 %). A slow consumer, if configured, is throttled from the start until {@link
 * #close()}. A fault the environment does not allow is reported as skipped, with why; one whose
 * share is never reached (the publishers finished first) still fires, against the backlog, and the
 * report says how much had been sent. Each fault is recorded at the time it began; one that takes a
 * while (closing connections, stopping the broker) says when it was done.
 */
final class FaultInjector implements AutoCloseable {
  private static final Duration WORKER_START = Duration.ofSeconds(120);
  private static final Duration PUBLISHING = Duration.ofMinutes(15);

  private final RunConfig config;
  private final Processes processes;
  private final BrokerControl broker;
  private final String whyNoRestart;
  private final String prefix;
  private final FaultLog record;
  private final NodeKill nodeKill;
  private SlowConsumer slow;

  /**
   * @param whyNoRestart why the broker cannot be stopped and started in this run, or {@code null}
   *     if {@code broker} is the run's private node
   * @param cluster the run's own cluster, whose node the node-loss fault kills, or {@code null}
   */
  FaultInjector(
      RunConfig config,
      Processes processes,
      BrokerControl broker,
      String whyNoRestart,
      BrokerCluster cluster,
      String prefix,
      FaultLog record) {
    this.config = config;
    this.processes = processes;
    this.broker = broker;
    this.whyNoRestart = whyNoRestart;
    this.prefix = prefix;
    this.record = record;
    // ScaleoutRun gives a cluster to every run that kills a node.
    this.nodeKill =
        config.killBrokerNode() ? new NodeKill(cluster, broker, processes, prefix, record) : null;
  }

  /**
   * Injects the faults at their points, returning when the publishers have all finished. The slow
   * consumer, if any, is the worker {@code slowWorker} and stays slow until {@link #close()}.
   */
  void runWhile(List<ChildProcess> publishers, ChildProcess slowWorker) {
    long total = (long) config.publishers() * config.commandsPerPublisher();
    if (slowWorker != null) {
      slow = SlowConsumer.start(slowWorker);
      record.injected(
          "slow consumer " + slowWorker.name(), slow.describe() + ", from the first command on");
    }
    if (config.killWorker()) {
      String at = awaitShare(publishers, total, 0.25);
      killAndReplace(at);
    }
    if (nodeKill != null) {
      nodeKill.kill(awaitShare(publishers, total, 1 / 3.0));
    }
    if (config.closeConnections()) {
      String at = awaitShare(publishers, total, 0.50);
      closeConnections(at);
    }
    if (nodeKill != null) {
      nodeKill.restart(awaitShare(publishers, total, 2 / 3.0));
    }
    if (config.restartBroker()) {
      String at = awaitShare(publishers, total, 0.75);
      restartBroker(at);
    }
    awaitOrGoOn(
        "the publishers to finish", () -> publishers.stream().noneMatch(ChildProcess::isAlive));
    notInThisRun();
  }

  /**
   * Waits up to {@link #PUBLISHING} for {@code condition}, then goes on either way: the run's
   * evaluation judges what the publishers did.
   */
  private static void awaitOrGoOn(String what, BooleanSupplier condition) {
    try {
      Await.await(what)
          .atMost(PUBLISHING)
          .pollInterval(Duration.ofMillis(100))
          .until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      // Gone on: see above.
    }
  }

  /** Lists the faults this run's configuration leaves out, so that the report shows every one. */
  private void notInThisRun() {
    if (slow == null && !config.slowConsumer()) {
      record.note("slow consumer: not part of this run");
    }
    if (!config.killWorker()) {
      record.note("SIGKILL of a worker: not part of this run");
    }
    if (!config.closeConnections()) {
      record.note("forced connection close: not part of this run");
    }
    if (!config.restartBroker()) {
      record.note(
          "broker stop_app/start_app: not part of this run (only in the soak profile's fault run)");
    }
    if (!config.killBrokerNode()) {
      record.note("SIGKILL of a cluster node: not part of this run (only in the cluster run)");
    }
  }

  /** What the node-loss fault did, or {@code null} if the run has none or it did not happen. */
  NodeLoss nodeLoss() {
    return nodeKill == null ? null : nodeKill.result();
  }

  private void killAndReplace(String at) {
    ChildProcess victim = processes.workers().get(0);
    victim.kill();
    processes.ended(victim, "SIGKILL");
    record.injected(
        "SIGKILL " + victim.name(),
        "SIGKILL " + victim.name() + " (pid " + victim.pid() + ") " + at);
    ChildProcess replacement = processes.startWorker(List.of(), WORKER_START);
    record.injected(
        replacement.name() + " started",
        "started " + replacement.name() + " (pid " + replacement.pid() + ") in its place");
  }

  private void closeConnections(String at) {
    if (!broker.hasCtl()) {
      record.note("connection close SKIPPED: " + broker.whyNoCtl());
      return;
    }
    // rabbitmqctl closes one connection per call, which takes seconds each on a loaded machine:
    // the fault is marked where it began, and says how long it took.
    Duration began = record.elapsed();
    int closed = broker.closeConnections(prefix, "scale-out test: forced close");
    record.injected(
        began,
        "connections closed",
        String.format(
            "force-closed %d broker connection(s) of the run (rabbitmqctl) %s, the last %.1f s"
                + " later",
            closed, at, record.elapsed().minus(began).toMillis() / 1000.0));
  }

  private void restartBroker(String at) {
    if (!broker.mayStopBroker()) {
      record.note("broker stop_app/start_app SKIPPED: " + whyNoRestart);
      return;
    }
    Duration began = record.elapsed();
    broker.stopApp();
    record.injected(
        began,
        "stop_app",
        String.format(
            "rabbitmqctl stop_app on the run's private node %s, done %.1f s later",
            at, record.elapsed().minus(began).toMillis() / 1000.0));
    broker.startApp();
    record.injected("start_app", "rabbitmqctl start_app (broker up again)");
  }

  /**
   * Waits until the publishers sent {@code share} of all commands, or finished; says which, and how
   * many had been sent.
   */
  private static String awaitShare(List<ChildProcess> publishers, long total, double share) {
    awaitOrGoOn(
        "the publishers to send " + share + " of the commands",
        () ->
            sent(publishers) >= total * share
                || publishers.stream().noneMatch(ChildProcess::isAlive));
    long sent = sent(publishers);
    boolean publishing = publishers.stream().anyMatch(ChildProcess::isAlive);
    return String.format(
        "at %d of %d commands sent (%.0f %%, due at %.0f %%)%s",
        sent,
        total,
        100.0 * sent / total,
        100 * share,
        publishing ? "" : ", publishers finished: against the backlog");
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

  /** Stops throttling the slow consumer, if any, so that it can be stopped normally. */
  @Override
  public void close() {
    if (slow != null) {
      slow.close();
      slow = null;
    }
  }
}
