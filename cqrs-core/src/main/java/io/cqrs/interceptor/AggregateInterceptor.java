package io.cqrs.interceptor;

/**
 * Runs around each load and save of an aggregate by {@link io.cqrs.EventSourcingRepository}, on the
 * calling thread (usually a command handler's). Thread-safe.
 */
@FunctionalInterface
public interface AggregateInterceptor {

  /** Loads or saves through {@code call}: calls {@link AggregateCall#proceed()} once. */
  void interceptAggregate(AggregateCall call);
}
