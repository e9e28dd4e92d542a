package io.cqrs.internal;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * The template of the classes {@link Dispatchers} defines, one hidden class per aggregate class.
 * Its class data is a list of {@value #SLOTS} event classes, then as many handler method handles of
 * type {@code (Object, Object)void}, then the handle for events with no handler; unused slots hold
 * {@code void.class}, which no event has. Held in {@code static final} fields of a hidden class,
 * the classes and handles are constants to the JIT, so {@link #invoke} compiles to the same
 * compare-and-call chain as a hand-written {@code instanceof} chain, with every handler inlined.
 * Never used as itself: only its bytes are.
 */
final class ConstantDispatcher implements EventHandlerInvoker {
  /** How many event types the template routes. */
  static final int SLOTS = 8;

  private static final Class<?> T0 = type(0);
  private static final Class<?> T1 = type(1);
  private static final Class<?> T2 = type(2);
  private static final Class<?> T3 = type(3);
  private static final Class<?> T4 = type(4);
  private static final Class<?> T5 = type(5);
  private static final Class<?> T6 = type(6);
  private static final Class<?> T7 = type(7);
  private static final MethodHandle H0 = handler(0);
  private static final MethodHandle H1 = handler(1);
  private static final MethodHandle H2 = handler(2);
  private static final MethodHandle H3 = handler(3);
  private static final MethodHandle H4 = handler(4);
  private static final MethodHandle H5 = handler(5);
  private static final MethodHandle H6 = handler(6);
  private static final MethodHandle H7 = handler(7);
  private static final MethodHandle MISSING = handler(SLOTS);
  private static final Class<?> AGGREGATE = classData(Class.class, 2 * SLOTS + 1);

  private static Class<?> type(int slot) {
    return classData(Class.class, slot);
  }

  private static MethodHandle handler(int slot) {
    return classData(MethodHandle.class, SLOTS + slot);
  }

  private static <T> T classData(Class<T> type, int index) {
    try {
      return MethodHandles.classDataAt(
          MethodHandles.lookup(), ConstantDescs.DEFAULT_NAME, type, index);
    } catch (IllegalAccessException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // One compare and one call per handled type, written out because a loop over arrays would not
  // give the JIT constants to fold.
  @Override
  public void invoke(Object untyped, Object event) throws Throwable {
    // One cast to the exact aggregate class up front, so the handlers' own receiver casts fold away
    // and the JIT sees one aggregate pointer on every path (it then keeps fields in registers
    // across a replay loop).
    Object aggregate = AGGREGATE.cast(untyped);
    if (is(T0, event)) {
      H0.invokeExact(aggregate, event);
      return;
    }
    if (is(T1, event)) {
      H1.invokeExact(aggregate, event);
      return;
    }
    if (is(T2, event)) {
      H2.invokeExact(aggregate, event);
      return;
    }
    if (is(T3, event)) {
      H3.invokeExact(aggregate, event);
      return;
    }
    if (is(T4, event)) {
      H4.invokeExact(aggregate, event);
      return;
    }
    if (is(T5, event)) {
      H5.invokeExact(aggregate, event);
      return;
    }
    if (is(T6, event)) {
      H6.invokeExact(aggregate, event);
      return;
    }
    if (is(T7, event)) {
      H7.invokeExact(aggregate, event);
      return;
    }
    MISSING.invokeExact(aggregate, event);
  }

  // A method of its own so that the branches above test a boolean: the JIT then compares class
  // pointers and never loads the Class object, which a branch on "getClass() == T" would keep
  // alive for deoptimisation (measured: a third slower per event).
  private static boolean is(Class<?> type, Object event) {
    return event.getClass() == type;
  }
}
