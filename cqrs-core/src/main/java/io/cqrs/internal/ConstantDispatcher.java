package io.cqrs.internal;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * The template of the classes {@link Dispatchers} defines, one hidden class per aggregate class,
 * each with that aggregate's routing method handle as its class data. Because the handle sits in a
 * {@code static final} field, the JIT treats it as a constant and inlines the whole routing chain
 * and the handlers into the caller. Never instantiated as itself.
 */
final class ConstantDispatcher implements EventHandlerInvoker {
  private static final MethodHandle TARGET = target();

  private static MethodHandle target() {
    try {
      return MethodHandles.classData(
          MethodHandles.lookup(), ConstantDescs.DEFAULT_NAME, MethodHandle.class);
    } catch (IllegalAccessException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Override
  public void invoke(Object aggregate, Object event) throws Throwable {
    TARGET.invokeExact(aggregate, event);
  }
}
