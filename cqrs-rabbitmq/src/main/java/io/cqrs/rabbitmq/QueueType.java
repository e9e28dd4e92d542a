package io.cqrs.rabbitmq;

/**
 * The kind of queue a bus declares for its subscriptions, services, retries and dead letters.
 *
 * <p>The type of an existing queue cannot change: a bus that declares a queue under a name that
 * already exists with the other type fails with the broker's {@code PRECONDITION_FAILED} reply. To
 * move a deployment from one type to the other, use a new prefix, or drain and delete the old
 * queues first. See {@code docs/rabbitmq.md}.
 */
public enum QueueType {
  /** Classic queues on one node (the default): the fastest, and enough on a single broker. */
  CLASSIC,

  /**
   * Quorum queues (RabbitMQ 3.10 or later): replicated over the cluster's nodes by Raft, so that a
   * confirmed message survives the loss of a minority of them. Dead-lettering out of them (the
   * delayed retries, and the broker's fallback to the dead-letter queue) is at least once ({@code
   * x-dead-letter-strategy: at-least-once}).
   */
  QUORUM
}
