package io.cqrs;

import io.cqrs.interceptor.Interceptors;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.Subscription;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The {@link EventProcessor} that consumes a subscription of an {@link EventBus}: the broker keeps
 * its position, instances with the same name compete for the events, and the bus retries a failing
 * event and dead-letters it (see the bus's documentation). Delivery is at least once and, across
 * listeners, in no particular order; a {@link Projection} ({@link Builder#projection}) restores
 * exactly-once effect in version order per stream, reading from the store what the bus has not
 * delivered yet.
 *
 * <p>It has no checkpoint of its own, so it cannot replay history or report a lag: use a {@link
 * TrackingEventProcessor} for read models that must be rebuilt, and look at the bus's queue depth
 * for this one's backlog.
 */
public final class SubscribingEventProcessor implements EventProcessor {
  private final String name;
  private final EventBus bus;
  private final VersionedEventHandler handler;
  private final int listeners;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private int running;
  private boolean paused;
  private Subscription subscription;
  private volatile Throwable failure;

  private SubscribingEventProcessor(Builder builder) {
    this.name = builder.name;
    this.bus = builder.bus;
    VersionedEventHandler chain = builder.interceptors.eventHandler(builder.name, builder.handler);
    this.handler = builder.wants == null ? chain : VersionGate.only(builder.wants, chain);
    this.listeners = builder.listeners;
  }

  static Builder builder(String name, EventBus bus, EventStreamRepository store) {
    return new Builder(name, bus, store);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start() {
    lock.lock();
    try {
      if (subscription != null) {
        throw new IllegalStateException("Processor '" + name + "' was started already");
      }
      subscription = bus.subscribe(name, listeners, this::deliver);
    } finally {
      lock.unlock();
    }
  }

  private void deliver(VersionedEvent event) throws Exception {
    lock.lock();
    try {
      while (paused) {
        changed.awaitUninterruptibly();
      }
      running++;
    } finally {
      lock.unlock();
    }
    try {
      handler.handle(event);
    } catch (Error e) {
      failure = e;
      throw e;
    } finally {
      lock.lock();
      try {
        running--;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Holds deliveries in this process (the bus's listeners wait, so the broker keeps the events) and
   * returns once no handler here is running.
   */
  @Override
  public void pause() {
    lock.lock();
    try {
      paused = true;
      while (running > 0) {
        changed.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void resume() {
    lock.lock();
    try {
      paused = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isPaused() {
    lock.lock();
    try {
      return paused;
    } finally {
      lock.unlock();
    }
  }

  /** An {@link Error} a handler threw, which the bus may have treated as fatal; else null. */
  @Override
  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    Subscription closing;
    lock.lock();
    try {
      closing = subscription;
      paused = false; // let held listeners run out, so the subscription can close
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (closing != null) {
      closing.close();
    }
  }

  /** Settings of a {@link SubscribingEventProcessor}. */
  public static final class Builder {
    private final String name;
    private final EventBus bus;
    private final EventStreamRepository store;
    private VersionedEventHandler handler;
    private int listeners = 1;
    private Interceptors interceptors = Interceptors.none();

    /** A projection's filter of the events its gate considers, or null for a handler's. */
    private Predicate<VersionedEvent> wants;

    private Builder(String name, EventBus bus, EventStreamRepository store) {
      this.name = Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
      this.bus = Objects.requireNonNull(bus, "bus");
      this.store = Objects.requireNonNull(store, "store");
    }

    /** Handles each event at least once. One of this and {@link #projection} is required. */
    public Builder handler(VersionedEventHandler handler) {
      this.handler = PartsHandler.of(Objects.requireNonNull(handler, "handler"));
      this.wants = null;
      return this;
    }

    /**
     * Applies each stream event to {@code projection} exactly once in effect, in version order per
     * stream, filling holes the bus left from the store (see {@link
     * TrackingEventProcessor.Builder#projection}).
     */
    public Builder projection(Projection projection) {
      VersionGate gate = new VersionGate(Objects.requireNonNull(projection, "projection"), store);
      this.handler = gate::handle;
      this.wants = gate::wants;
      return this;
    }

    /**
     * Runs the {@link io.cqrs.interceptor.EventHandlerInterceptor}s among {@code interceptors}
     * around the handling of every event, each attempt apart (none by default); {@link
     * io.cqrs.interceptor.Handling#component()} is the processor's name.
     */
    public Builder interceptors(Interceptors interceptors) {
      this.interceptors = Objects.requireNonNull(interceptors, "interceptors");
      return this;
    }

    /** How many events this process handles at once (default 1). */
    public Builder listeners(int listeners) {
      if (listeners < 1) {
        throw new IllegalArgumentException("listeners must be >= 1, was " + listeners);
      }
      this.listeners = listeners;
      return this;
    }

    /**
     * The processor, not yet started.
     *
     * @throws IllegalStateException if no handler or projection was given
     */
    public SubscribingEventProcessor build() {
      if (handler == null) {
        throw new IllegalStateException(
            "Processor '" + name + "' needs a handler(...) or a projection(...)");
      }
      return new SubscribingEventProcessor(this);
    }
  }
}
