package io.cqrs.internal;

import io.cqrs.EventSourceBased;
import io.cqrs.MissingHandlerException;
import java.lang.invoke.CallSite;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Routes events to an aggregate class's {@code handle<EventSimpleName>(EventSimpleName)} methods.
 *
 * <p>Handlers are discovered once per aggregate class (cached in a {@link ClassValue}) by walking
 * the class and its superclasses up to {@link EventSourceBased}; a subclass's handler for an event
 * type hides a superclass's. Any visibility works. Each handler is bound to a class that {@link
 * LambdaMetafactory} generates, so the hot path is an interface call the JIT inlines, never {@code
 * Method.invoke}. Where the metafactory may not be used (a handler in a named module that does not
 * open its package to full-privilege access), a direct method handle is the fallback.
 *
 * <p>Routing is by the event's exact class: a handler for a supertype does not receive subtypes.
 * This keeps routing predictable and the lookup a plain identity comparison.
 */
public final class EventRouter {
  private static final int LINEAR_SCAN_LIMIT = 8;

  private static final ClassValue<EventRouter> ROUTERS =
      new ClassValue<>() {
        @Override
        protected EventRouter computeValue(Class<?> type) {
          return new EventRouter(type);
        }
      };

  private final Class<?> aggregateType;
  private final Class<?>[] eventTypes;
  private final EventHandlerInvoker[] invokers;
  private final Map<Class<?>, EventHandlerInvoker> byType;

  private EventRouter(Class<?> aggregateType) {
    this.aggregateType = aggregateType;
    Map<Class<?>, EventHandlerInvoker> found = new LinkedHashMap<>();
    for (Class<?> c = aggregateType;
        c != null && c != EventSourceBased.class && c != Object.class;
        c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (isHandler(method) && !found.containsKey(method.getParameterTypes()[0])) {
          found.put(method.getParameterTypes()[0], bind(method));
        }
      }
    }
    this.eventTypes = found.keySet().toArray(new Class<?>[0]);
    this.invokers = found.values().toArray(new EventHandlerInvoker[0]);
    this.byType = new HashMap<>(found);
  }

  /** The router of an aggregate class, built on first use. */
  public static EventRouter of(Class<?> aggregateType) {
    return ROUTERS.get(aggregateType);
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

  private static EventHandlerInvoker bind(Method method) {
    try {
      MethodHandles.Lookup lookup =
          MethodHandles.privateLookupIn(method.getDeclaringClass(), MethodHandles.lookup());
      MethodHandle handle = lookup.unreflect(method);
      if (lookup.hasFullPrivilegeAccess()) {
        CallSite site =
            LambdaMetafactory.metafactory(
                lookup,
                "invoke",
                MethodType.methodType(EventHandlerInvoker.class),
                MethodType.methodType(void.class, Object.class, Object.class),
                handle,
                MethodType.methodType(
                    void.class, method.getDeclaringClass(), method.getParameterTypes()[0]));
        return (EventHandlerInvoker) site.getTarget().invokeExact();
      }
      MethodHandle generic =
          handle.asType(MethodType.methodType(void.class, Object.class, Object.class));
      return (aggregate, event) -> generic.invokeExact(aggregate, event);
    } catch (Throwable e) {
      throw new IllegalStateException(
          "Cannot bind handler "
              + method
              + " (if the aggregate is in a named module, open its package to io.cqrs)",
          e);
    }
  }

  /**
   * The invoker for an event class.
   *
   * @throws MissingHandlerException naming the aggregate and the expected method
   */
  public EventHandlerInvoker invokerFor(Class<?> eventType) {
    // Hot path: aggregates rarely handle more than a handful of event types, and an identity
    // scan over a short array beats hashing.
    Class<?>[] types = eventTypes;
    if (types.length <= LINEAR_SCAN_LIMIT) {
      for (int i = 0; i < types.length; i++) {
        if (types[i] == eventType) {
          return invokers[i];
        }
      }
    } else {
      EventHandlerInvoker invoker = byType.get(eventType);
      if (invoker != null) {
        return invoker;
      }
    }
    throw missing(eventType);
  }

  /** Fails eagerly, with the expected signature, unless a handler for {@code eventType} exists. */
  public void requireHandler(Class<?> eventType) {
    if (!byType.containsKey(eventType)) {
      throw missing(eventType);
    }
  }

  /** The event types this aggregate has handlers for. */
  public List<Class<?>> handledTypes() {
    return List.of(eventTypes);
  }

  private MissingHandlerException missing(Class<?> eventType) {
    String expected = "handle" + eventType.getSimpleName() + "(" + eventType.getSimpleName() + ")";
    List<String> nearMisses = new ArrayList<>();
    for (Class<?> c = aggregateType;
        c != null && c != EventSourceBased.class && c != Object.class;
        c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (method.getName().equals("handle" + eventType.getSimpleName())) {
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
                : "; found " + String.join(", ", nearMisses) + ", which does not match");
    return new MissingHandlerException(message, aggregateType, eventType);
  }
}
