package io.cqrs.example.bank;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a long-running command stop cleanly on Ctrl-C or SIGTERM: the JVM's shutdown hook releases
 * {@link #await()}, then holds the JVM until this signal is closed, which the application does
 * last, after it has closed everything else.
 */
final class ShutdownSignal implements AutoCloseable {
  private static final long CLOSE_SECONDS = 10;

  private final CountDownLatch stop;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread hook;

  /**
   * @param stop released by the hook, or by a caller that wants to stop without a signal
   */
  ShutdownSignal(CountDownLatch stop) {
    this.stop = stop;
    this.hook = new Thread(this::onShutdown, "bank-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Returns once a shutdown was asked for. */
  void await() throws InterruptedException {
    stop.await();
  }

  private void onShutdown() {
    stop.countDown();
    try {
      // The JVM halts as soon as the hooks return: give the application time to close.
      closed.await(CLOSE_SECONDS, TimeUnit.SECONDS);
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
