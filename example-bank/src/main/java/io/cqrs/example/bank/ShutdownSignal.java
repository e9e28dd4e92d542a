package io.cqrs.example.bank;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a long-running command stop cleanly on Ctrl-C or SIGTERM: the JVM's shutdown hook releases
 * {@link #await()}, then holds the JVM until this signal is closed, which the application does
 * last, after it has closed everything else. The JVM then exits with the application's status
 * ({@link #exitStatus}), not the signal's 143: a worker stopped by SIGTERM that closed cleanly
 * exits 0.
 */
final class ShutdownSignal implements AutoCloseable {
  private static final long CLOSE_SECONDS = 30;

  private final CountDownLatch stop;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread hook;
  private volatile Integer exitStatus;

  /**
   * @param stop released by the hook, or by a caller that wants to stop without a signal
   */
  ShutdownSignal(CountDownLatch stop) {
    this.stop = stop;
    this.hook = new Thread(this::onShutdown, "bank-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The status the JVM exits with if a signal stopped the application. */
  void exitStatus(int status) {
    this.exitStatus = status;
  }

  /** Returns once a shutdown was asked for. */
  void await() throws InterruptedException {
    stop.await();
  }

  /**
   * Waits up to {@code timeout} for a shutdown to be asked for.
   *
   * @return whether it was
   */
  boolean await(Duration timeout) throws InterruptedException {
    return stop.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void onShutdown() {
    stop.countDown();
    try {
      // The JVM halts as soon as the hooks return: give the application time to close.
      if (closed.await(CLOSE_SECONDS, TimeUnit.SECONDS) && exitStatus != null) {
        System.out.flush();
        System.err.flush();
        // The only way to choose the status of a shutdown the JVM began on a signal.
        Runtime.getRuntime().halt(exitStatus);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Everything is closed: lets a pending JVM shutdown go on, or forgets the hook. */
  @Override
  public void close() {
    closed.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down already; the hook is running and returns now.
    }
  }
}
