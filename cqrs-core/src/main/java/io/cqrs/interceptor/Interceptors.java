package io.cqrs.interceptor;

import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.internal.HandlingChain;
import io.cqrs.internal.SameMessage;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.EventBus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiPredicate;

/**
 * An ordered, immutable set of interceptors, handed to the components that run them: {@link
 * io.cqrs.Cqrs.Builder#interceptors}, or one by one to {@link
 * io.cqrs.CommandDispatchManager.Builder#interceptors}, {@link
 * io.cqrs.EventSourcingRepository.Builder#interceptors}, the event processors' builders, {@link
 * io.cqrs.VersionedEventDispatchManager} and, for publishing, {@link #commandBus} and {@link
 * #eventBus}.
 *
 * <p>An interceptor is any object that implements one or more of {@link
 * CommandDispatchInterceptor}, {@link CommandHandlerInterceptor}, {@link EventPublishInterceptor},
 * {@link EventHandlerInterceptor} and {@link AggregateInterceptor}; it takes part wherever it
 * implements the interface. The first one given is the outermost link of each chain: it sees a
 * message first and the outcome last. With no interceptors a component calls its handler directly.
 */
public final class Interceptors {
  private static final Interceptors NONE = new Interceptors(List.of());

  private final List<Object> all;
  private final List<CommandDispatchInterceptor> commandDispatch;
  private final List<CommandHandlerInterceptor> commandHandler;
  private final List<EventPublishInterceptor> eventPublish;
  private final List<EventHandlerInterceptor> eventHandler;
  private final List<AggregateInterceptor> aggregate;

  private Interceptors(List<Object> all) {
    this.all = List.copyOf(all);
    this.commandDispatch = only(CommandDispatchInterceptor.class);
    this.commandHandler = only(CommandHandlerInterceptor.class);
    this.eventPublish = only(EventPublishInterceptor.class);
    this.eventHandler = only(EventHandlerInterceptor.class);
    this.aggregate = only(AggregateInterceptor.class);
  }

  /** No interceptors. */
  public static Interceptors none() {
    return NONE;
  }

  /**
   * The given interceptors, outermost first.
   *
   * @throws IllegalArgumentException if one of them implements none of the interceptor interfaces
   */
  public static Interceptors of(Object... interceptors) {
    Objects.requireNonNull(interceptors, "interceptors");
    return NONE.with(interceptors);
  }

  /** These interceptors followed by {@code more} (further in). */
  public Interceptors with(Object... more) {
    Objects.requireNonNull(more, "more");
    if (more.length == 0) {
      return this;
    }
    List<Object> joined = new ArrayList<>(all);
    for (int i = 0; i < more.length; i++) {
      Object interceptor = Objects.requireNonNull(more[i], "interceptor " + i);
      if (interceptor instanceof Interceptors set) {
        joined.addAll(set.all);
      } else if (isInterceptor(interceptor)) {
        joined.add(interceptor);
      } else {
        throw new IllegalArgumentException(
            interceptor.getClass().getName()
                + " implements none of CommandDispatchInterceptor, CommandHandlerInterceptor,"
                + " EventPublishInterceptor, EventHandlerInterceptor, AggregateInterceptor");
      }
    }
    return new Interceptors(joined);
  }

  /** Whether there are none. */
  public boolean isEmpty() {
    return all.isEmpty();
  }

  /** Every interceptor, outermost first. */
  public List<Object> all() {
    return all;
  }

  /** The command dispatch interceptors, outermost first. */
  public List<CommandDispatchInterceptor> commandDispatch() {
    return commandDispatch;
  }

  /** The command handler interceptors, outermost first. */
  public List<CommandHandlerInterceptor> commandHandler() {
    return commandHandler;
  }

  /** The event publish interceptors, outermost first. */
  public List<EventPublishInterceptor> eventPublish() {
    return eventPublish;
  }

  /** The event handler interceptors, outermost first. */
  public List<EventHandlerInterceptor> eventHandler() {
    return eventHandler;
  }

  /** The aggregate interceptors, outermost first. */
  public List<AggregateInterceptor> aggregate() {
    return aggregate;
  }

  /**
   * {@code bus} with the command dispatch interceptors around every publish call; everything else
   * goes straight to {@code bus}, which the returned bus closes. {@code bus} itself where there are
   * no command dispatch interceptors.
   */
  public CommandBus commandBus(CommandBus bus) {
    Objects.requireNonNull(bus, "bus");
    return commandDispatch.isEmpty() ? bus : new InterceptingCommandBus(bus, commandDispatch);
  }

  /**
   * {@code bus} with the event publish interceptors around every publish call; everything else goes
   * straight to {@code bus}, which the returned bus closes. {@code bus} itself where there are no
   * event publish interceptors.
   */
  public EventBus eventBus(EventBus bus) {
    Objects.requireNonNull(bus, "bus");
    return eventPublish.isEmpty() ? bus : new InterceptingEventBus(bus, eventPublish);
  }

  /**
   * {@code handler} with the event handler interceptors around it, for the handlers of {@code
   * component} (a subscription or processor name); {@code handler} itself where there are none.
   */
  public VersionedEventHandler eventHandler(String component, VersionedEventHandler handler) {
    Objects.requireNonNull(component, "component");
    Objects.requireNonNull(handler, "handler");
    if (eventHandler.isEmpty()) {
      return handler;
    }
    @SuppressWarnings("unchecked")
    HandlingChain.Link<VersionedEvent>[] links =
        eventHandler.stream()
            .map(i -> (HandlingChain.Link<VersionedEvent>) i::interceptEvent)
            .toArray(HandlingChain.Link[]::new);
    HandlingChain.Terminal<VersionedEvent> terminal =
        (message, attempts) -> {
          attempts.next();
          handler.handle(message);
          return Outcome.SUCCEEDED;
        };
    BiPredicate<VersionedEvent, VersionedEvent> same = SameMessage::events;
    return event -> HandlingChain.run(links, event, component, terminal, same);
  }

  @Override
  public String toString() {
    return "Interceptors" + all.stream().map(i -> i.getClass().getSimpleName()).toList();
  }

  private static boolean isInterceptor(Object candidate) {
    return candidate instanceof CommandDispatchInterceptor
        || candidate instanceof CommandHandlerInterceptor
        || candidate instanceof EventPublishInterceptor
        || candidate instanceof EventHandlerInterceptor
        || candidate instanceof AggregateInterceptor;
  }

  private <T> List<T> only(Class<T> type) {
    return all.stream().filter(type::isInstance).map(type::cast).toList();
  }
}
