package io.cqrs.example.bank;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that asynchronous handlers will make true: a read model catching up, a
 * transfer finishing. It checks the condition every millisecond or so until it holds or the
 * deadline passes; it never waits a fixed time and hopes.
 */
public final class Await {
  private static final long PAUSE_NANOS = Duration.ofMillis(1).toNanos();

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
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new TimeoutException(
            "Gave up after " + timeout.toMillis() + " ms waiting for " + what);
      }
      LockSupport.parkNanos(PAUSE_NANOS);
      if (Thread.currentThread().isInterrupted()) {
        throw new TimeoutException("Interrupted while waiting for " + what);
      }
    }
  }
}
