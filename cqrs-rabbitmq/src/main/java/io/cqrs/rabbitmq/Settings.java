package io.cqrs.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The validated settings of one bus, shared by its parts.
 *
 * @param factory a recovering copy of the caller's connection factory
 * @param addresses the broker nodes the bus's connections go to
 * @param unhealthyAfter how long a connection may be down before {@code health()} says so
 * @param names exchange and queue names
 * @param connectionName the name the bus's connections show in the broker's tools
 * @param publishTimeout how long {@code publish} may wait for the broker
 * @param confirmWindow how many published messages may await confirms at once
 * @param maxMessageBytes the largest body a published message may have
 * @param prefetch how many unacknowledged messages each listener may hold
 * @param retryDelays the delays before the second, third … attempt of a failed message
 * @param partitions how many partitions an ordered subscription has
 * @param completions where the futures of {@code publishAsync} complete; {@code null} for a pool of
 *     the bus's own
 * @param queueType the type of every queue the bus declares
 * @param declareTopology whether the bus declares its exchanges, queues and bindings, or only
 *     checks that its exchanges and queues exist
 */
record Settings(
    ConnectionFactory factory,
    BrokerAddresses addresses,
    Duration unhealthyAfter,
    Names names,
    String connectionName,
    Duration publishTimeout,
    int confirmWindow,
    int maxMessageBytes,
    int prefetch,
    List<Duration> retryDelays,
    int partitions,
    Executor completions,
    QueueType queueType,
    boolean declareTopology) {

  /**
   * What the bus does on the broker for {@code declarations}: the declarations themselves, or, when
   * it does not declare its topology, the checks that stand for them ({@link Declaration#checks}).
   */
  List<Declaration> topology(List<Declaration> declarations) {
    return declareTopology ? declarations : Declaration.checks(declarations);
  }

  /** How many messages a listener handles before it acknowledges them with one multiple-ack. */
  int ackBatch() {
    return Math.max(1, Math.min(prefetch / 2, 64));
  }

  /** How many attempts a message gets before it is dead-lettered. */
  int maxAttempts() {
    return retryDelays.size() + 1;
  }
}
