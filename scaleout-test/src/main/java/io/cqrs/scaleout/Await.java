package io.cqrs.scaleout;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Polling with a deadline, for conditions no event announces (process output, queue depths). */
final class Await {
  private static final Duration POLL = Duration.ofMillis(100);

  private Await() {}

  /** One polling interval. */
  static void pause() {
    LockSupport.parkNanos(POLL.toNanos());
  }

  /**
   * Waits until {@code condition} holds.
   *
   * @return whether it held before the timeout
   */
  static boolean until(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      pause();
    }
    return true;
  }
}
