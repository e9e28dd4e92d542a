package io.cqrs.example.bank;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Holds a long-running command ({@code serve}, {@code worker}) until it is asked to stop, or until
 * a bus has lost consumers that it cannot bring back ({@link BankHealth#needsRestart()}). Then the
 * process must exit non-zero, so that its supervisor restarts it, rather than stay up consuming
 * nothing.
 */
final class BusWatch {
  /**
   * The exit status when a bus stopped for good: {@code EX_SOFTWARE} of {@code sysexits.h}, an
   * internal error, so that a supervisor restarts the process.
   */
  static final int BUS_STOPPED = 70;

  /** How often the buses' health is read; it costs a few volatile reads. */
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private BusWatch() {}

  /**
   * Waits until {@code shutdown} is asked for, reading {@code health} every {@code interval}.
   *
   * @return 0 when asked to stop; {@link #BUS_STOPPED} when a bus needs a restart, after saying why
   *     on {@code err}
   */
  static int await(
      ShutdownSignal shutdown, Supplier<BankHealth> health, Duration interval, PrintStream err)
      throws InterruptedException {
    while (!shutdown.await(interval)) {
      BankHealth now = health.get();
      if (now.needsRestart()) {
        err.println(
            "example-bank: a bus lost its consumers for good ("
                + now.describe()
                + "); exiting with status "
                + BUS_STOPPED
                + " so that a supervisor restarts the process");
        err.flush();
        return BUS_STOPPED;
      }
    }
    return 0;
  }
}
