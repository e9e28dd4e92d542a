package io.cqrs.interceptor;

import io.cqrs.VersionedEvent;
import java.util.concurrent.CompletableFuture;

/**
 * Runs around each publish call of an event bus that {@link Interceptors#eventBus} wraps (the
 * repository's publication right after a commit, and the relay's), on the publishing thread. The
 * events are committed already: metadata added here travels on the bus but is not in the store.
 * Thread-safe.
 */
@FunctionalInterface
public interface EventPublishInterceptor {

  /** Publishes through {@code dispatch}: calls {@link Dispatch#proceed()} once. */
  CompletableFuture<Void> interceptPublish(Dispatch<VersionedEvent> dispatch);
}
