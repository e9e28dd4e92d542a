package io.cqrs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds an aggregate class's event dispatcher: a hidden class made from the {@link
 * ConstantDispatcher} template whose constants are the aggregate's event classes and handler method
 * handles, so that the JIT compiles routing to the compare-and-call chain a developer would write
 * by hand, with the handlers inlined.
 *
 * <p>Measured in cqrs-benchmarks' {@code DispatchBenchmark}: a per-type invoker behind one
 * interface call was 2.5 to 4.5 times slower than the direct call (the call site sees every handler
 * of every aggregate, so it cannot inline). A chain of nested {@code guardWithTest} handles matched
 * the direct call under JMH but, replayed from a method the JIT compiled without knowing the
 * aggregate's class, took 1.9 times as long with five event types; this flat chain, with one cast
 * to the aggregate class up front, took 1.6 times as long there and matches the direct call under
 * JMH.
 */
final class Dispatchers {
  /** The type every handler handle is adapted to. */
  static final MethodType GENERIC = MethodType.methodType(void.class, Object.class, Object.class);

  /** The most event types one dispatcher routes. */
  static final int MAX_TYPES = ConstantDispatcher.SLOTS;

  private Dispatchers() {}

  /**
   * A dispatcher for aggregates of exactly {@code aggregateType} that calls {@code handlers[i]} for
   * an event of exactly {@code types[i]}, and {@code missing} for any other event.
   *
   * @param handlers handles of type {@code (Object aggregate, Object event)void}
   * @throws IllegalArgumentException if there are more than {@link #MAX_TYPES} types
   * @throws IllegalStateException if the hidden class cannot be defined
   */
  static EventHandlerInvoker of(
      Class<?> aggregateType, Class<?>[] types, MethodHandle[] handlers, MethodHandle missing) {
    Objects.requireNonNull(missing, "missing");
    if (types.length > MAX_TYPES || handlers.length != types.length) {
      throw new IllegalArgumentException(
          "A dispatcher routes up to " + MAX_TYPES + " types, one handler each");
    }
    List<Object> data = new ArrayList<>(2 * MAX_TYPES + 2);
    for (int i = 0; i < MAX_TYPES; i++) {
      data.add(i < types.length ? types[i] : void.class);
    }
    for (int i = 0; i < MAX_TYPES; i++) {
      data.add(i < types.length ? handlers[i].asType(GENERIC) : missing);
    }
    data.add(missing);
    data.add(aggregateType);
    try {
      MethodHandles.Lookup hidden =
          MethodHandles.lookup()
              .defineHiddenClassWithClassData(template(), List.copyOf(data), true);
      return (EventHandlerInvoker)
          hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
    } catch (Throwable e) {
      throw new IllegalStateException("Cannot define an event dispatcher class", e);
    }
  }

  private static byte[] template() throws IOException {
    try (InputStream in = Dispatchers.class.getResourceAsStream("ConstantDispatcher.class")) {
      if (in == null) {
        throw new IOException("ConstantDispatcher.class is not readable as a resource");
      }
      return in.readAllBytes();
    }
  }
}
