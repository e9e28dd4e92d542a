package io.cqrs.example.bank;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that asynchronous handlers will make true: a read model catching up, a
 * transfer finishing. It checks the condition until it holds or the deadline passes; it never waits
 * a fixed time and hopes.
 *
 * <p>The pause between checks starts at {@value #FIRST_PAUSE_MILLIS} ms and doubles up to {@value
 * #LONGEST_PAUSE_MILLIS} ms: a condition that holds soon (an in-memory handler) is seen within a
 * few milliseconds, while a long wait on a condition that reads documents from shared servers
 * checks them some twenty times a second instead of a thousand.
 */
public final class Await {
  static final long FIRST_PAUSE_MILLIS = 1;
  static final long LONGEST_PAUSE_MILLIS = 50;

  private Await() {}

  /**
   * Returns once {@code condition} holds.
   *
   * @param what the condition in words, for the timeout message
   * @throws TimeoutException if it does not hold within {@code timeout}
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition)
      throws TimeoutException {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(condition, "condition");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = TimeUnit.MILLISECONDS.toNanos(FIRST_PAUSE_MILLIS);
    long longest = TimeUnit.MILLISECONDS.toNanos(LONGEST_PAUSE_MILLIS);
    while (!condition.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left < 0) {
        throw new TimeoutException(
            "Gave up after " + timeout.toMillis() + " ms waiting for " + what);
      }
      // Never sleep past the deadline: the last check comes at the deadline, not up to a pause
      // later.
      LockSupport.parkNanos(Math.min(pause, left));
      if (Thread.currentThread().isInterrupted()) {
        throw new TimeoutException("Interrupted while waiting for " + what);
      }
      pause = Math.min(pause * 2, longest);
    }
  }
}
