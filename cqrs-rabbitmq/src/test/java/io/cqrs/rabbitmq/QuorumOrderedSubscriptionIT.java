package io.cqrs.rabbitmq;

/** {@link OrderedSubscriptionIT} with every queue a quorum queue. */
class QuorumOrderedSubscriptionIT extends OrderedSubscriptionIT {
  @Override
  protected QueueType queueType() {
    return QueueType.QUORUM;
  }

  @Override
  protected boolean aHandoverMayReplay() {
    return true;
  }
}
