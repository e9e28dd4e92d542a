package io.cqrs.memory;

import io.cqrs.spi.BusHealth;
import java.time.Instant;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running listeners of one in-memory bus, over all its subscriptions: what {@code health()}
 * counts, and what a fatal error stops.
 */
final class BusConsumers {
  private static final Logger log = LoggerFactory.getLogger(BusConsumers.class);

  /** Listener threads of one subscription, as the bus sees them. */
  interface Running {
    /** How many of its threads run and take messages (none once it was told to stop). */
    int alive();

    /** How many threads it started. */
    int started();

    /** Asks its threads to stop after the message in hand; does not wait. */
    void stop();
  }

  private final String bus;
  private final Set<Running> running = ConcurrentHashMap.newKeySet();
  private volatile BusHealth.Failure fatal;
  private volatile BusHealth.Failure lastFailure;
  private volatile boolean closed;

  BusConsumers(String bus) {
    this.bus = bus;
  }

  void add(Running listeners) {
    running.add(listeners);
    if (fatal != null) {
      listeners.stop(); // raced with a fatal error
    }
  }

  void remove(Running listeners) {
    running.remove(listeners);
  }

  /** Whether a fatal error has stopped the bus; listeners then leave their messages queued. */
  boolean isStopped() {
    return fatal != null;
  }

  /** Throws if a fatal error stopped the bus: new listeners would run on a broken JVM. */
  void ensureNotStopped() {
    BusHealth.Failure failure = fatal;
    if (failure != null) {
      throw new IllegalStateException(
          bus
              + " stopped after a fatal error and takes no subscriptions: "
              + failure.description());
    }
  }

  /** Records a fatal error (the first one stays) and stops every listener of the bus. */
  void stop(String subscription, Throwable error) {
    String description = summary(error) + " in a consumer of '" + subscription + "'";
    synchronized (this) {
      if (fatal == null) {
        fatal = new BusHealth.Failure(description, Instant.now(), true);
        lastFailure = fatal;
      }
    }
    running.forEach(Running::stop); // before the slow log: health() must not see them run on
    log.error(
        "Fatal error in a consumer of '{}' on {}: stopped every consumer of the bus; the message"
            + " stays queued. Restart the process.",
        subscription,
        bus,
        error);
  }

  /**
   * Records that a listener thread ended for another reason than closing (it was interrupted):
   * nothing brings it back, but the other listeners go on.
   */
  synchronized void lost(String description) {
    if (fatal == null) {
      lastFailure = new BusHealth.Failure(description, Instant.now(), true);
    }
    log.error("{} on {}; restart the process", description, bus);
  }

  /** The bus is closed: no consumer will run again. */
  void close() {
    closed = true;
  }

  BusHealth health() {
    return health(running, false);
  }

  /**
   * The health of some of the bus's listeners (one subscription's, or all of them), unhealthy if
   * {@code closedSubscription}.
   */
  BusHealth health(Collection<? extends Running> listeners, boolean closedSubscription) {
    int alive = 0;
    int started = 0;
    for (Running group : listeners) {
      alive += group.alive();
      started += group.started();
    }
    boolean healthy = fatal == null && !closed && !closedSubscription && alive == started;
    return new BusHealth(healthy, alive, lastFailure);
  }

  /** Class and message, as dead letters and failures give them. */
  static String summary(Throwable failure) {
    return failure.getClass().getName() + ": " + failure.getMessage();
  }
}
