package io.cqrs.rabbitmq;

import io.cqrs.spi.BusHealth;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/** The listeners one {@code subscribe} call started. */
final class RabbitSubscription implements Subscription {
  private final String name;
  private final List<Listener> listeners;
  private final Consumer<RabbitSubscription> onClose;
  private final BiFunction<List<Listener>, Boolean, BusHealth> health;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param health the bus's health of some of its listeners, and whether they were closed
   */
  RabbitSubscription(
      String name,
      List<Listener> listeners,
      Consumer<RabbitSubscription> onClose,
      BiFunction<List<Listener>, Boolean, BusHealth> health) {
    this.name = name;
    this.listeners = List.copyOf(listeners);
    this.onClose = onClose;
    this.health = health;
  }

  @Override
  public BusHealth health() {
    boolean isClosed = closed.get();
    return health.apply(isClosed ? List.of() : listeners, isClosed);
  }

  @Override
  public String name() {
    return name;
  }

  /** Its listeners, for {@code health()}. */
  List<Listener> listeners() {
    return listeners;
  }

  /** Asks every listener to stop after the message in hand (a fatal error); does not wait. */
  void stopListeners() {
    listeners.forEach(Listener::stop);
  }

  /**
   * Stops every listener: each finishes and acknowledges the message in hand, then closes its
   * channel, which returns its prefetched messages to the queue. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    listeners.forEach(Listener::stop);
    try {
      for (Listener listener : listeners) {
        listener.awaitStopped();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      onClose.accept(this);
    }
  }
}
