package io.cqrs.internal;

/** Calls one aggregate's handler for one event type; implemented by generated classes. */
@FunctionalInterface
public interface EventHandlerInvoker {
  /** Applies {@code event} to {@code aggregate}. */
  void invoke(Object aggregate, Object event) throws Throwable;
}
