package io.cqrs.interceptor;

import io.cqrs.Command;
import java.util.concurrent.CompletableFuture;

/**
 * Runs around each publish call of a command bus that {@link Interceptors#commandBus} wraps, on the
 * publishing thread: it can add metadata to the commands (a trace context, the caller's identity)
 * and sees when the bus accepted them. Thread-safe.
 */
@FunctionalInterface
public interface CommandDispatchInterceptor {

  /** Publishes through {@code dispatch}: calls {@link Dispatch#proceed()} once. */
  CompletableFuture<Void> interceptDispatch(Dispatch<Command> dispatch);
}
