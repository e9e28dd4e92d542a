package io.cqrs.rabbitmq;

import com.rabbitmq.client.impl.recovery.RecordedBinding;
import com.rabbitmq.client.impl.recovery.RecordedExchange;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;

/**
 * What a recovered connection of a bus declares again: its consumers, not its exchanges, queues and
 * bindings.
 *
 * <p>Everything a bus declares is durable and never auto-deleted, so it outlives any connection on
 * the broker (a restarted node keeps it too). Declaring it again would be a no-op at best, and on a
 * cluster with a hung node it is worse: a binding or queue declaration is a transaction over every
 * node, which waits until the cluster gives the hung node up (Erlang's net tick time, 45 to 75 s by
 * default), and the client recovers consumers only after the topology, so consuming would wait as
 * long. The cost: a queue an operator deleted while the connection was down is not created again by
 * recovery; its consumer is refused, which the bus reports as lost for good ({@code
 * needsRestart()}), and a restart declares the queue again.
 *
 * <p>Stateless.
 */
final class ConsumersOnlyRecovery implements TopologyRecoveryFilter {
  @Override
  public boolean filterExchange(RecordedExchange exchange) {
    return false;
  }

  @Override
  public boolean filterQueue(RecordedQueue queue) {
    return !queue.isDurable();
  }

  @Override
  public boolean filterBinding(RecordedBinding binding) {
    return false;
  }
}
