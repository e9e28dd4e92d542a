package io.cqrs.interceptor;

import io.cqrs.Command;

/**
 * Runs around the handling of each command, on the thread that handles it, outside the retries of
 * optimistic-concurrency conflicts (see {@link Handling#attempts()}). Registered through {@link
 * Interceptors}; thread-safe, as many commands are handled at once.
 */
@FunctionalInterface
public interface CommandHandlerInterceptor {

  /**
   * Handles one command through {@code handling}: calls {@link Handling#proceed()} once and returns
   * its outcome, or rethrows what it threw.
   */
  Outcome interceptCommand(Handling<Command> handling) throws Exception;
}
