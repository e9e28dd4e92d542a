package io.cqrs.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition with a deadline, so that tests of asynchronous code never sleep for a
 * guessed time: they go on as soon as the condition holds and fail with a message when it does not
 * hold in time.
 *
 * <p>It is the one waiting helper of the project's tests and of the contract suites. Awaitility
 * (4.3.0) does the same and more, but is not used: this kit would then impose it, and Hamcrest with
 * it, on every adapter author's test classpath for three methods; the suites' waits would read
 * differently from their failure messages (a state described when the deadline passes, which this
 * class takes as a {@code Supplier}); and about sixty lines need no upgrade.
 */
public final class Await {
  /** Long enough for a broker's retries with back-off; a passing test never waits this long. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private Await() {}

  /**
   * Returns as soon as {@code condition} holds; fails with an {@link AssertionError} naming {@code
   * what} if it does not hold within {@link #DEFAULT_TIMEOUT}.
   */
  public static void until(String what, BooleanSupplier condition) {
    until(DEFAULT_TIMEOUT, what, condition);
  }

  /**
   * Like {@link #until(String, BooleanSupplier)}, with a failure message computed when {@link
   * #DEFAULT_TIMEOUT} passes (to show the state the test saw then).
   */
  public static void until(Supplier<String> what, BooleanSupplier condition) {
    until(DEFAULT_TIMEOUT, what, condition);
  }

  /**
   * Returns as soon as {@code condition} holds; fails with an {@link AssertionError} naming {@code
   * what} if it does not hold within {@code timeout}.
   */
  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    until(timeout, () -> what, condition);
  }

  /**
   * Like {@link #until(Duration, String, BooleanSupplier)}, with a failure message computed when
   * the deadline passes (to show the state the test saw).
   */
  public static void until(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(condition, "condition");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out after " + timeout + " waiting for " + what.get());
      }
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new AssertionError("Interrupted while waiting for " + what.get());
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }
}
