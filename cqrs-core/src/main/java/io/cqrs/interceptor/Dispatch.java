package io.cqrs.interceptor;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Messages on their way to a bus, as a {@link CommandDispatchInterceptor} or {@link
 * EventPublishInterceptor} sees them: one publish call, in order. The interceptor calls {@link
 * #proceed()} (or {@link #proceed(List)} with copies carrying more metadata) exactly once, on the
 * calling thread, and returns the future it gets, or one that completes after it.
 *
 * @param <M> {@link io.cqrs.Command} or {@link io.cqrs.VersionedEvent}
 */
public interface Dispatch<M> {

  /** The messages of this publish call, in order. */
  List<M> messages();

  /** Whether the caller waits for the bus ({@code publish}) or not ({@code publishAsync}). */
  boolean async();

  /**
   * Hands the messages to the rest of the chain and the bus.
   *
   * @return a future that completes once the bus has accepted every message durably, or fails with
   *     the bus's exception; it is already complete when the caller waits for the bus
   */
  default CompletableFuture<Void> proceed() {
    return proceed(messages());
  }

  /**
   * Like {@link #proceed()}, with copies of the messages instead (same ids, types and bodies, in
   * the same order; other metadata).
   *
   * @throws IllegalArgumentException if {@code messages} are not the same messages
   */
  CompletableFuture<Void> proceed(List<M> messages);
}
