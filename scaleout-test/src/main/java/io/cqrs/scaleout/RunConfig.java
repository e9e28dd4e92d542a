package io.cqrs.scaleout;

import io.cqrs.rabbitmq.QueueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The size and faults of one scale-out run.
 *
 * @param label a name for the report
 * @param workers worker processes running from the start
 * @param publishers publisher processes
 * @param commandsPerPublisher commands each publisher sends
 * @param hotAccounts how many accounts the commands aim at
 * @param publishRate commands per second each publisher sends at most, so that the faults come
 *     while commands flow; 0 sends as fast as the broker confirms
 * @param duplicatePercent the share of each publisher's commands, in percent, that it publishes a
 *     second time with the same message id ({@link CommandPlan#publications}); the rate counts
 *     these publications too
 * @param queueType the type of every queue the workers' buses declare ({@code
 *     CQRS_RABBITMQ_QUEUE_TYPE} of every process)
 * @param killWorker SIGKILL a worker once a quarter of the commands are sent, and start a new one
 * @param closeConnections force-close every broker connection of the run once half the commands are
 *     sent
 * @param restartBroker {@code rabbitmqctl stop_app} / {@code start_app} once three quarters of the
 *     commands are sent; the run then uses a {@link PrivateBroker} of its own, and where none can
 *     be started the fault is skipped
 * @param slowConsumer add a worker that the harness throttles with SIGSTOP / SIGCONT ({@link
 *     SlowConsumer}), holding its prefetched commands while stopped, for the whole run
 * @param killBrokerNode SIGKILL the node of the run's {@link BrokerCluster} that holds the most of
 *     the run's connections once a third of the commands are sent, and start it again at two thirds
 *     ({@link NodeKill}); only for a run on a cluster
 * @param poisonMessages malformed commands sent on purpose, which must end in the dead-letter queue
 * @param warmupCommands commands the harness sends before the run's clock starts, and waits to see
 *     settled, so that the workers' JVMs have loaded and compiled the command path before the
 *     publishers start (a production worker is measured warm); they are part of the run, and every
 *     invariant covers them, but not of its commands/s ({@link RunResult#commandsPerSecond()}); 0
 *     for none
 * @param quiescenceTimeout how long the queues and the relay may take to settle after publishing
 * @param seed seeds every publisher's plan
 */
public record RunConfig(
    String label,
    int workers,
    int publishers,
    int commandsPerPublisher,
    int hotAccounts,
    int publishRate,
    int duplicatePercent,
    QueueType queueType,
    boolean killWorker,
    boolean closeConnections,
    boolean restartBroker,
    boolean slowConsumer,
    boolean killBrokerNode,
    int poisonMessages,
    int warmupCommands,
    Duration quiescenceTimeout,
    long seed) {

  public RunConfig {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(queueType, "queueType");
    Objects.requireNonNull(quiescenceTimeout, "quiescenceTimeout");
    if (workers < 1
        || publishers < 1
        || commandsPerPublisher < 1
        || hotAccounts < 2
        || publishRate < 0
        || poisonMessages < 0
        || warmupCommands < 0
        || duplicatePercent < 0
        || duplicatePercent > 100) {
      throw new IllegalArgumentException(
          "workers, publishers and commandsPerPublisher must be >= 1, hotAccounts >= 2,"
              + " publishRate, poisonMessages and warmupCommands >= 0 and duplicatePercent"
              + " 0..100: "
              + this);
    }
  }

  /** The hot accounts' ids. */
  public List<String> accounts() {
    List<String> accounts = new ArrayList<>();
    for (int i = 1; i <= hotAccounts; i++) {
      accounts.add(String.format("hot-%02d", i));
    }
    return accounts;
  }

  /** Whether this is a throughput run: no rate limit and no fault. */
  public boolean throughput() {
    return publishRate == 0
        && !killWorker
        && !closeConnections
        && !restartBroker
        && !slowConsumer
        && !killBrokerNode;
  }

  /** The publishers of every throughput run. */
  public static final int THROUGHPUT_PUBLISHERS = 3;

  /**
   * A run without faults, with another number of workers and {@link #THROUGHPUT_PUBLISHERS}
   * publishers sending commands as fast as the broker confirms them, for throughput. It publishes
   * the same share of duplicates: redeliveries are part of the work a deployment does.
   *
   * @param warmup commands the harness sends and sees settled before the clock starts ({@link
   *     #warmupCommands()})
   */
  public RunConfig throughputRun(int workerCount, int commandsEach, int warmup) {
    return new RunConfig(
        "throughput: " + workerCount + " worker(s), no faults",
        workerCount,
        THROUGHPUT_PUBLISHERS,
        commandsEach,
        hotAccounts,
        0,
        duplicatePercent,
        queueType,
        false,
        false,
        false,
        false,
        false,
        0,
        warmup,
        quiescenceTimeout,
        seed);
  }
}
