package io.cqrs.internal;

import io.cqrs.EventSourceBased;
import io.cqrs.MissingHandlerException;
import io.cqrs.VersionedEvent;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.ToIntBiFunction;
import java.util.stream.Collectors;

/**
 * Routes events to an aggregate class's {@code handle<EventSimpleName>(EventSimpleName)} methods.
 *
 * <p>Handlers are discovered once per aggregate class (cached in a {@link ClassValue}) by walking
 * the class and its superclasses up to {@link EventSourceBased}; a subclass's handler for an event
 * type hides a superclass's. Any visibility works. {@link #dispatch} is the hot path: a class
 * generated once per aggregate class (see {@link Dispatchers}) that compares the event's class with
 * each handled class (beyond twenty, after a switch on its identity hash) and calls the handler
 * directly, as hand-written code would. No map lookup, no reflection and never {@code
 * Method.invoke} per event.
 *
 * <p>Routing is by the event's exact class: a handler for a supertype does not receive subtypes.
 * This keeps routing predictable and the lookup a plain identity comparison.
 */
public final class EventRouter {
  private static final ClassValue<Once> ROUTERS =
      new ClassValue<>() {
        @Override
        protected Once computeValue(Class<?> type) {
          return new Once(type);
        }
      };

  private final Class<?> aggregateType;
  private final List<Class<?>> eventTypes;
  private final BiPredicate<Object, Object> dispatcher;

  /** The generated replay loop of an {@code EventSourceBased} class; null for other classes. */
  private final ToIntBiFunction<Object, Object> replayer;

  private EventRouter(Class<?> aggregateType) {
    this.aggregateType = aggregateType;
    Map<Class<?>, Method> found = new LinkedHashMap<>();
    for (Class<?> c = aggregateType;
        c != null && c != EventSourceBased.class && c != Object.class;
        c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (isHandler(method)) {
          found.putIfAbsent(method.getParameterTypes()[0], method);
        }
      }
    }
    this.eventTypes = List.copyOf(found.keySet());
    this.dispatcher =
        Dispatchers.of(lookup(aggregateType), aggregateType, List.copyOf(found.values()));
    @SuppressWarnings("unchecked")
    ToIntBiFunction<Object, Object> loop =
        dispatcher instanceof ToIntBiFunction<?, ?> generated
            ? (ToIntBiFunction<Object, Object>) generated
            : null;
    this.replayer = loop;
  }

  /** The router of an aggregate class, built on first use. */
  public static EventRouter of(Class<?> aggregateType) {
    return ROUTERS.get(aggregateType).router();
  }

  /** Whether {@code method} follows the handler naming convention. */
  private static boolean isHandler(Method method) {
    if (Modifier.isStatic(method.getModifiers())
        || method.isSynthetic()
        || method.isBridge()
        || method.getParameterCount() != 1) {
      return false;
    }
    Class<?> parameter = method.getParameterTypes()[0];
    return method.getName().equals("handle" + parameter.getSimpleName())
        && !parameter.isPrimitive()
        && parameter != Object.class;
  }

  private static MethodHandles.Lookup lookup(Class<?> aggregateType) {
    try {
      return MethodHandles.privateLookupIn(aggregateType, MethodHandles.lookup());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(
          "Cannot generate the event routing of "
              + aggregateType.getName()
              + " (if the aggregate is in a named module, open its package to io.cqrs)",
          e);
    }
  }

  /**
   * Applies {@code event} to {@code aggregate}, an instance of this router's class: the hot path of
   * both {@code update} and replay.
   *
   * @throws MissingHandlerException naming the aggregate and the expected method
   * @throws Throwable whatever the handler threw
   */
  public void dispatch(Object aggregate, Object event) throws Throwable {
    if (!dispatcher.test(aggregate, event)) {
      throw missing(event.getClass());
    }
  }

  /**
   * Applies committed events to {@code aggregate}, an {@code EventSourceBased} of this router's
   * class, from the first, as long as each one's version follows the aggregate's and its class has
   * a handler here, setting the aggregate's version after each: the hot path of a load, generated
   * per aggregate class (see {@link Dispatchers}).
   *
   * @return how many it applied; the event at that index, if any, is one it did not apply (a gap,
   *     an event without a handler, or one that upcasters split), which the caller handles
   * @throws Throwable whatever a handler threw; the events before it are applied
   */
  public int replay(Object aggregate, List<VersionedEvent> events) throws Throwable {
    return replayer.applyAsInt(aggregate, events);
  }

  /** Fails eagerly, with the expected signature, unless a handler for {@code eventType} exists. */
  public void requireHandler(Class<?> eventType) {
    if (!eventTypes.contains(eventType)) {
      throw missing(eventType);
    }
  }

  /** The event types this aggregate has handlers for. */
  public List<Class<?>> handledTypes() {
    return eventTypes;
  }

  private MissingHandlerException missing(Class<?> eventType) {
    String expected = "handle" + eventType.getSimpleName() + "(" + eventType.getSimpleName() + ")";
    List<String> nearMisses = new ArrayList<>();
    for (Class<?> c = aggregateType;
        c != null && c != EventSourceBased.class && c != Object.class;
        c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        // The right name with other parameters, or the event as the one parameter of a method
        // named otherwise (handleClose(Closed)): what a typo leaves.
        boolean takesTheEvent =
            method.getParameterCount() == 1
                && method.getParameterTypes()[0] == eventType
                && !method.isSynthetic();
        if (method.getName().equals("handle" + eventType.getSimpleName()) || takesTheEvent) {
          nearMisses.add(
              method.getName()
                  + List.of(method.getParameterTypes()).stream()
                      .map(Class::getSimpleName)
                      .collect(Collectors.joining(", ", "(", ")"))
                  + (Modifier.isStatic(method.getModifiers()) ? " (static)" : ""));
        }
      }
    }
    String message =
        aggregateType.getSimpleName()
            + " has no method "
            + expected
            + (nearMisses.isEmpty()
                ? ""
                : "; found "
                    + String.join(", ", nearMisses)
                    + (nearMisses.size() == 1 ? ", which does not match" : ", which do not match"));
    return new MissingHandlerException(message, aggregateType, eventType);
  }

  /**
   * Builds one class's router at most once: {@link ClassValue} may compute a value on several
   * threads at once and keep one, which would generate a dispatcher class per racing thread.
   */
  private static final class Once {
    private final Class<?> aggregateType;
    private volatile EventRouter router;

    Once(Class<?> aggregateType) {
      this.aggregateType = aggregateType;
    }

    EventRouter router() {
      EventRouter built = router;
      if (built == null) {
        synchronized (this) {
          built = router;
          if (built == null) {
            built = new EventRouter(aggregateType);
            router = built;
          }
        }
      }
      return built;
    }
  }
}
