package io.cqrs.rabbitmq;

/** {@link FailureHandlingIT} with every queue a quorum queue. */
class QuorumFailureHandlingIT extends FailureHandlingIT {
  @Override
  protected QueueType queueType() {
    return QueueType.QUORUM;
  }
}
