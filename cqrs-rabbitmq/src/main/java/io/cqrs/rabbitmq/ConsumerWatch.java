package io.cqrs.rabbitmq;

import io.cqrs.spi.BusHealth;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the listeners of one bus report when they lose their consumers, and what the bus does about
 * a fatal error: it keeps the last failure for {@code health()} (a fatal one stays) and stops every
 * listener of the bus. Thread-safe.
 */
final class ConsumerWatch {
  private static final Logger log = LoggerFactory.getLogger(ConsumerWatch.class);

  private final String bus;
  private final Runnable stopEveryListener;
  private BusHealth.Failure lastFailure; // guarded by this
  private volatile BusHealth.Failure fatalError;

  /**
   * @param bus the bus's connection name, for logs
   * @param stopEveryListener asks every listener of the bus to stop; must not wait for them
   */
  ConsumerWatch(String bus, Runnable stopEveryListener) {
    this.bus = bus;
    this.stopEveryListener = stopEveryListener;
  }

  /**
   * A listener lost its consumer: until its connection recovers, or for good (the broker cancelled
   * the consumer or closed the channel, which automatic recovery does not undo).
   */
  void lost(String description, boolean forGood) {
    record(new BusHealth.Failure(description, Instant.now(), forGood));
    if (forGood) {
      log.error(
          "{} on bus '{}'; it does not come back by itself: restart the process", description, bus);
    } else {
      log.warn("{} on bus '{}'; it consumes again once the connection recovers", description, bus);
    }
  }

  /**
   * A fatal error ({@link BusHealth#isFatal}) on a listener: logs it, records it and stops every
   * listener of the bus. The listener that caught it leaves its message unacknowledged.
   */
  void fatal(String description, Throwable error) {
    BusHealth.Failure failure = new BusHealth.Failure(description, Instant.now(), true);
    synchronized (this) {
      if (fatalError == null) {
        fatalError = failure;
        lastFailure = failure; // even over a listener lost for good: this one says more
      }
    }
    stopEveryListener.run(); // before the slow log: health() must not see them run on
    log.error(
        "Fatal error on bus '{}': {}. Stopped every consumer of the bus; the message is not"
            + " acknowledged and goes back to its queue. Restart the process.",
        bus,
        description,
        error);
  }

  /** Whether a fatal error has stopped the bus's listeners. */
  boolean isStopped() {
    return fatalError != null;
  }

  /** Throws if a fatal error stopped the bus: new listeners would run on a broken JVM. */
  void ensureNotStopped() {
    BusHealth.Failure failure = fatalError;
    if (failure != null) {
      throw new IllegalStateException(
          "The bus stopped after a fatal error and takes no subscriptions: "
              + failure.description());
    }
  }

  /**
   * The bus's health, given how many of its listeners consume, how many wait for their connection
   * to recover (within the grace the bus allows), out of how many run.
   *
   * @param down whether the bus (or subscription) is closed, or a connection has been down for
   *     longer than the grace
   */
  BusHealth health(
      int consuming,
      int recovering,
      int running,
      boolean down,
      List<BusHealth.Connection> connections) {
    BusHealth.Failure failure;
    synchronized (this) {
      failure = lastFailure;
    }
    boolean lostForGood = failure != null && failure.fatal();
    boolean healthy = !down && !lostForGood && consuming + recovering == running;
    return new BusHealth(healthy, consuming, failure, connections);
  }

  private synchronized void record(BusHealth.Failure failure) {
    if (lastFailure == null || !lastFailure.fatal()) {
      lastFailure = failure;
    }
  }
}
