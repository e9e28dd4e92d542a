package io.cqrs.scaleout;

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
 * @param killWorker SIGKILL a worker while commands flow and start a new one
 * @param closeConnections force-close every broker connection of the run while commands flow
 * @param restartBroker {@code rabbitmqctl stop_app} / {@code start_app} while commands flow (only
 *     where {@link BrokerControl#mayStopBroker()})
 * @param slowConsumer add a worker running in interpreted mode ({@code -Xint}), far slower than the
 *     others, competing for the same commands
 * @param poisonMessages malformed commands sent on purpose, which must end in the dead-letter queue
 * @param quiescenceTimeout how long the queues and the relay may take to settle after publishing
 * @param seed seeds every publisher's plan
 */
public record RunConfig(
    String label,
    int workers,
    int publishers,
    int commandsPerPublisher,
    int hotAccounts,
    boolean killWorker,
    boolean closeConnections,
    boolean restartBroker,
    boolean slowConsumer,
    int poisonMessages,
    Duration quiescenceTimeout,
    long seed) {

  public RunConfig {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(quiescenceTimeout, "quiescenceTimeout");
    if (workers < 1 || publishers < 1 || commandsPerPublisher < 1 || hotAccounts < 2) {
      throw new IllegalArgumentException(
          "workers, publishers and commandsPerPublisher must be >= 1 and hotAccounts >= 2: "
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

  /** The same run without faults and with another number of workers, for throughput. */
  public RunConfig throughputRun(int workerCount) {
    return new RunConfig(
        workerCount + " worker(s), no faults",
        workerCount,
        publishers,
        commandsPerPublisher,
        hotAccounts,
        false,
        false,
        false,
        false,
        0,
        quiescenceTimeout,
        seed);
  }
}
