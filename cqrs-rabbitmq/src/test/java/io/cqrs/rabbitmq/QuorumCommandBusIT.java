package io.cqrs.rabbitmq;

/** {@link RabbitCommandBusIT} with every queue a quorum queue. */
class QuorumCommandBusIT extends RabbitCommandBusIT {
  @Override
  protected QueueType queueType() {
    return QueueType.QUORUM;
  }
}
