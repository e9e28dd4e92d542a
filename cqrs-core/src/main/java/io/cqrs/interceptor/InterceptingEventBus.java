package io.cqrs.interceptor;

import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** An event bus whose publish calls run through event publish interceptors. */
final class InterceptingEventBus implements EventBus {
  private final EventBus bus;
  private final Publishing<VersionedEvent> publishing;

  InterceptingEventBus(EventBus bus, List<EventPublishInterceptor> interceptors) {
    this.bus = bus;
    this.publishing = Publishing.events(interceptors, bus);
  }

  @Override
  public void publish(List<VersionedEvent> events) {
    publishing.publish(events);
  }

  @Override
  public CompletableFuture<Void> publishAsync(List<VersionedEvent> events) {
    return publishing.publishAsync(events);
  }

  @Override
  public Subscription subscribe(
      String subscription, int listeners, VersionedEventHandler consumer) {
    return bus.subscribe(subscription, listeners, consumer);
  }

  @Override
  public BusHealth health() {
    return bus.health();
  }

  @Override
  public void close() {
    bus.close();
  }

  @Override
  public String toString() {
    return "Intercepting(" + bus + ")";
  }
}
