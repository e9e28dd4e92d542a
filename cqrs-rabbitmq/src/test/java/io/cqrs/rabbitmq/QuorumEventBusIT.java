package io.cqrs.rabbitmq;

/** {@link RabbitEventBusIT} with every queue a quorum queue. */
class QuorumEventBusIT extends RabbitEventBusIT {
  @Override
  protected QueueType queueType() {
    return QueueType.QUORUM;
  }
}
