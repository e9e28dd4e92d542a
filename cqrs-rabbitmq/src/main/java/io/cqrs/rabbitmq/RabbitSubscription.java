package io.cqrs.rabbitmq;

import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** The listeners one {@code subscribe} call started. */
final class RabbitSubscription implements Subscription {
  private final String name;
  private final List<Listener> listeners;
  private final Consumer<RabbitSubscription> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  RabbitSubscription(String name, List<Listener> listeners, Consumer<RabbitSubscription> onClose) {
    this.name = name;
    this.listeners = List.copyOf(listeners);
    this.onClose = onClose;
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
