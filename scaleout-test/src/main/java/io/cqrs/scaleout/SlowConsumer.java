package io.cqrs.scaleout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Makes a worker a slow consumer without changing its code: a thread sends it SIGSTOP and SIGCONT
 * in turn, so that it runs {@link #RUNNING} out of every {@link #RUNNING} + {@link #STOPPED}. While
 * stopped, the worker keeps the commands and events the broker delivered to it (up to its prefetch)
 * unacknowledged, and the other workers cannot take them: the broker sees a consumer that is alive
 * but slow. The pauses are far shorter than the AMQP heartbeat timeout, so its connections stay
 * open.
 */
final class SlowConsumer implements AutoCloseable {
  /** How long the worker runs in each cycle. */
  static final Duration RUNNING = Duration.ofMillis(250);

  /** How long it is stopped in each cycle. */
  static final Duration STOPPED = Duration.ofMillis(750);

  private final ChildProcess worker;
  private final Thread thread;
  private volatile boolean throttling = true;

  private SlowConsumer(ChildProcess worker) {
    this.worker = worker;
    this.thread = new Thread(this::throttle, "slow-consumer-" + worker.name());
    thread.setDaemon(true);
  }

  /** Starts throttling {@code worker} until {@link #close()}. */
  static SlowConsumer start(ChildProcess worker) {
    SlowConsumer slow = new SlowConsumer(worker);
    slow.thread.start();
    return slow;
  }

  /** A description for the report. */
  String describe() {
    return String.format(
        "slow consumer %s (pid %d): SIGSTOP/SIGCONT, runs %d ms of every %d ms",
        worker.name(), worker.pid(), RUNNING.toMillis(), RUNNING.plus(STOPPED).toMillis());
  }

  private void throttle() {
    // The cycle is the fault itself, not a synchronisation: nothing waits for it.
    while (throttling && worker.isAlive()) {
      signal("-STOP");
      LockSupport.parkNanos(STOPPED.toNanos());
      signal("-CONT");
      LockSupport.parkNanos(RUNNING.toNanos());
    }
  }

  private void signal(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", signal, String.valueOf(worker.pid()))
              .redirectErrorStream(true)
              .start();
      kill.getInputStream().readAllBytes();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      // The worker is gone (SIGKILLed or exited): nothing left to throttle.
      throttling = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throttling = false;
    }
  }

  /** Stops throttling and leaves the worker running at full speed. */
  @Override
  public void close() {
    throttling = false;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(15));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    signal("-CONT");
  }
}
