package io.cqrs.interceptor;

import io.cqrs.VersionedEvent;

/**
 * Runs around each delivery of an event to the handlers of a subscription or an event processor, on
 * the thread that handles it; a retried delivery runs it again. Registered through {@link
 * Interceptors}; thread-safe.
 */
@FunctionalInterface
public interface EventHandlerInterceptor {

  /**
   * Handles one event through {@code handling}: calls {@link Handling#proceed()} once and returns
   * its outcome, or rethrows what it threw.
   */
  Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception;
}
