package io.cqrs.example.bank;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.pollinterval.IterativePollInterval;

/**
 * Waits for a condition that asynchronous handlers will make true (a read model catching up, a
 * transfer finishing), with Awaitility: it checks the condition until it holds or the deadline
 * passes; it never waits a fixed time and hopes. The bank's code and its tests wait through {@link
 * #await(String)}, so every wait is set up the same way.
 *
 * <p>The first check is at once, and the pause between checks doubles from {@link #FIRST_PAUSE} to
 * {@link #LONGEST_PAUSE}: a condition that holds soon (an in-memory handler) is seen within a few
 * milliseconds, while a long wait on a condition that reads documents from shared servers checks
 * them some twenty times a second instead of a thousand.
 */
public final class Await {
  static final Duration FIRST_PAUSE = Duration.ofMillis(1);
  static final Duration LONGEST_PAUSE = Duration.ofMillis(50);

  private Await() {}

  /**
   * Awaitility's {@code await(what)}, set up as the bank waits: checked on the calling thread (no
   * thread per wait; a condition may use the caller's thread-locals), first at once, then with
   * doubling pauses; other threads' uncaught exceptions are left to their own handlers rather than
   * failing the wait. Give it {@code atMost(...)} and {@code until(...)}.
   *
   * @param what the condition in words, for the timeout message
   */
  public static ConditionFactory await(String what) {
    Objects.requireNonNull(what, "what");
    return Awaitility.await(what)
        .pollInSameThread()
        .pollDelay(Duration.ZERO)
        .pollInterval(
            new IterativePollInterval(
                pause ->
                    pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0
                        ? LONGEST_PAUSE
                        : pause.multipliedBy(2),
                FIRST_PAUSE))
        .dontCatchUncaughtExceptions();
  }

  /**
   * Returns once {@code condition} holds.
   *
   * @param what the condition in words, for the timeout message
   * @throws TimeoutException if it does not hold within {@code timeout}, or the thread was
   *     interrupted while waiting (its interrupt flag is then set again)
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition)
      throws TimeoutException {
    Objects.requireNonNull(condition, "condition");
    try {
      await(what)
          .atMost(timeout)
          .until(
              () -> {
                // Awaitility keeps polling an interrupted thread until the deadline: stop now.
                if (Thread.currentThread().isInterrupted()) {
                  throw new Interrupted();
                }
                return condition.getAsBoolean();
              });
    } catch (ConditionTimeoutException e) {
      throw timeout("Gave up after " + timeout.toMillis() + " ms waiting for " + what, e);
    } catch (Interrupted e) {
      throw timeout("Interrupted while waiting for " + what, e);
    }
  }

  /** Ends a wait whose thread was interrupted; its interrupt flag stays set. */
  private static final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Interrupted() {
      super("interrupted", null, false, false);
    }
  }

  private static TimeoutException timeout(String message, Throwable cause) {
    TimeoutException timeout = new TimeoutException(message);
    timeout.initCause(cause);
    return timeout;
  }
}
