package io.cqrs.rabbitmq;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Permits that publishing takes with a deadline, as back-pressure: the confirm window (one permit
 * per message awaiting its confirm) or the room of the queue in front of the republisher thread.
 * Permits come back as the broker confirms, so running out of time means the broker did not
 * confirm, and is reported as the broker being unavailable.
 *
 * <p>Thread-safe: any thread takes permits, and any thread gives them back (often the connection's
 * I/O thread, settling a message).
 */
final class Permits {
  private final Semaphore semaphore;
  private final String broker;
  private final Supplier<BrokerUnavailableException> exhausted;

  /**
   * @param permits how many permits there are
   * @param broker the broker as {@code host:port/vhost}, for the exceptions
   * @param exhausted the exception for permits that did not come back in time
   */
  Permits(int permits, String broker, Supplier<BrokerUnavailableException> exhausted) {
    this.semaphore = new Semaphore(permits);
    this.broker = broker;
    this.exhausted = exhausted;
  }

  /**
   * Takes {@code permits}, waiting until {@code deadlineNanos} at most.
   *
   * @throws BrokerUnavailableException if they are not free by the deadline, or the thread is
   *     interrupted (its interrupt status is kept)
   */
  void acquire(int permits, long deadlineNanos) {
    try {
      if (!semaphore.tryAcquire(permits, deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        throw exhausted.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw PublishErrors.interrupted(broker, e);
    }
  }

  void release(int permits) {
    semaphore.release(permits);
  }

  /** Free permits now, for tests. */
  int available() {
    return semaphore.availablePermits();
  }
}
