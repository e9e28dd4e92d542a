package io.cqrs.rabbitmq;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A round of a blocking {@code publish}: the thread that created it sends, then parks until the
 * round is settled or its deadline passes. The settling thread only unparks it.
 */
final class WaitingRound extends PublishRound {
  private final Thread caller = Thread.currentThread();

  WaitingRound(List<OutboundMessage> messages, Permits window) {
    super(messages, window);
  }

  @Override
  void allSettled() {
    LockSupport.unpark(caller);
  }

  /**
   * Whether every message was settled before {@code deadlineNanos}. Called by the thread that
   * created the round.
   */
  boolean await(long deadlineNanos) throws InterruptedException {
    while (!isSettled()) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    return true;
  }
}
