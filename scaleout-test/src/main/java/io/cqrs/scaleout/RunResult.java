package io.cqrs.scaleout;

import io.cqrs.scaleout.Outcomes.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one scale-out run did and found.
 *
 * @param config the run's size and faults
 * @param prefix the key and queue prefix of the run
 * @param broker which RabbitMQ the run used, and how long a private node took to start
 * @param processes each process, with its role, pid and how it ended
 * @param sent commands sent (openings included), each counted once
 * @param duplicatesPublished commands the publishers (and the warm-up) published a second time on
 *     purpose
 * @param outcomes how many commands had each outcome
 * @param rejections rejections by exception type
 * @param warmupCommands commands the harness sent before the run's clock started ({@link
 *     RunConfig#warmupCommands()}), duplicates not counted; part of {@code sent}
 * @param warmup how long those took from the first sent until the workers had settled them, or
 *     {@link Duration#ZERO} without a warm-up
 * @param measured commands the publishers sent that had an outcome (accepted or rejected): what
 *     {@link #commandsPerSecond()} counts, so neither the openings nor the warm-up
 * @param firstSent when the publishers sent their first command, on the run's clock, which starts
 *     as they are launched, or after a warm-up as they are told to go (as do the faults' times and
 *     the timeline)
 * @param publishing on the run's clock, when the last command was confirmed
 * @param settled on the run's clock, when the run was first found quiet (queues empty, relay and
 *     processors caught up, then confirmed by further polls)
 * @param conflicts optimistic-concurrency conflicts the workers retried (from their logs)
 * @param duplicatesSkipped deliveries the workers' deduplication recognised as handled before
 *     running the handler (from their logs)
 * @param duplicatesRefused deliveries whose commit the store refused because the stream already
 *     held the command's effect (from the workers' logs)
 * @param workerShare per worker, what it handled according to its log
 * @param faults the faults injected, each with when
 * @param checks every invariant with its result
 * @param loadAverage the machine's load averages (1, 5, 15 min) when the run ended, if known
 * @param connections per process, the broker node each of its connections opened on and where it
 *     recovered to, from the processes' logs
 * @param nodeLoss what the node-loss fault of a cluster run did, or {@code null} if it had none
 * @param timeline the run second by second: throughput, latency and the faults
 */
public record RunResult(
    RunConfig config,
    String prefix,
    String broker,
    List<String> processes,
    long sent,
    long duplicatesPublished,
    Map<Outcome, Long> outcomes,
    Map<String, Long> rejections,
    long warmupCommands,
    Duration warmup,
    long measured,
    Duration firstSent,
    Duration publishing,
    Duration settled,
    long conflicts,
    long duplicatesSkipped,
    long duplicatesRefused,
    List<WorkerShare> workerShare,
    List<String> faults,
    List<Check> checks,
    String loadAverage,
    List<String> connections,
    NodeLoss nodeLoss,
    Timeline timeline) {

  /** Whether every invariant holds. */
  public boolean passed() {
    return checks.stream().allMatch(Check::holds);
  }

  /**
   * The publishers' commands with an outcome per second, from the first sent until the run settled;
   * the warm-up before it is not in the figure ({@link #warmupCommandsPerSecond()}).
   */
  public double commandsPerSecond() {
    return measured / Math.max(0.001, secondsToSettle());
  }

  /**
   * The warm-up's commands per second, from its first sent until the workers had settled them: the
   * pace of workers that start cold; 0 without a warm-up.
   */
  public double warmupCommandsPerSecond() {
    return warmup.isZero() ? 0 : warmupCommands / (warmup.toMillis() / 1000.0);
  }

  /** Seconds from the first command sent until the run settled. */
  public double secondsToSettle() {
    return settled.minus(firstSent).toMillis() / 1000.0;
  }
}
