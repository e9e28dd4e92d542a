package io.cqrs;

import io.cqrs.interceptor.Interceptors;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Routes received events to handlers registered per event type and to global handlers
 * (andrewwebber's {@code VersionedEventDispatchManager}).
 *
 * <p>For each event the handlers of its type run first, in registration order, then the global
 * handlers. If one throws, the rest are not run and the exception goes back to the bus, which
 * retries the event and finally dead-letters it; handlers therefore must be idempotent or sit
 * behind a deduplicating projection. Events with no handler at all are ignored: a read model
 * subscribes to the whole stream and picks what it needs.
 *
 * <p>Register handlers before {@link #listen}. Thread-safe.
 */
public final class VersionedEventDispatchManager implements AutoCloseable {
  private final EventBus bus;
  private final TypeRegistry registry;
  private final Map<String, List<VersionedEventHandler>> handlers = new ConcurrentHashMap<>();
  private final List<VersionedEventHandler> globalHandlers = new CopyOnWriteArrayList<>();
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final Interceptors interceptors;
  private final VersionedEventHandler direct;

  public VersionedEventDispatchManager(EventBus bus, TypeRegistry registry) {
    this(bus, registry, Interceptors.none());
  }

  /**
   * A manager whose handlers run inside the {@link io.cqrs.interceptor.EventHandlerInterceptor}s
   * among {@code interceptors}, once per delivery; {@link io.cqrs.interceptor.Handling#component()}
   * is the subscription's name, or {@code "direct"} for {@link #dispatch}.
   */
  public VersionedEventDispatchManager(
      EventBus bus, TypeRegistry registry, Interceptors interceptors) {
    this.bus = Objects.requireNonNull(bus, "bus");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.interceptors = Objects.requireNonNull(interceptors, "interceptors");
    this.direct = interceptors.eventHandler("direct", this::handle);
  }

  /** Calls {@code handler} for every event of a registered type. */
  public VersionedEventDispatchManager registerEventHandler(
      Class<?> eventType, VersionedEventHandler handler) {
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(handler, "handler");
    handlers
        .computeIfAbsent(registry.nameOf(eventType), name -> new CopyOnWriteArrayList<>())
        .add(handler);
    return this;
  }

  /** Calls {@code handler} for every event, after the type's own handlers. */
  public VersionedEventDispatchManager registerGlobalHandler(VersionedEventHandler handler) {
    globalHandlers.add(Objects.requireNonNull(handler, "handler"));
    return this;
  }

  /** Runs the handlers for one event on the calling thread. */
  public void dispatch(VersionedEvent event) throws Exception {
    Objects.requireNonNull(event, "event");
    direct.handle(event);
  }

  private void handle(VersionedEvent event) throws Exception {
    if (event.isSplit()) {
      for (VersionedEvent part : event.parts()) {
        handle(part);
      }
      return;
    }
    List<VersionedEventHandler> typed = handlers.get(event.eventType());
    if (typed != null) {
      for (VersionedEventHandler handler : typed) {
        handler.handle(event);
      }
    }
    for (VersionedEventHandler handler : globalHandlers) {
      handler.handle(event);
    }
  }

  /**
   * Starts receiving a subscription of the bus on {@code listeners} threads.
   *
   * @param subscription the subscription name; instances with the same name compete
   */
  public VersionedEventDispatchManager listen(String subscription, int listeners) {
    subscriptions.add(
        bus.subscribe(
            subscription,
            listeners,
            interceptors.eventHandler(
                Objects.requireNonNull(subscription, "subscription"), this::handle)));
    return this;
  }

  /** Stops every subscription started by {@link #listen}; in-flight events finish first. */
  @Override
  public void close() {
    for (Subscription subscription : subscriptions) {
      subscription.close();
    }
    subscriptions.clear();
  }
}
