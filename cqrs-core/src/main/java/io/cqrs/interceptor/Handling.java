package io.cqrs.interceptor;

import java.util.concurrent.CompletionStage;

/**
 * One message on its way to a handler, as a {@link CommandHandlerInterceptor} or {@link
 * EventHandlerInterceptor} sees it: the interceptor calls {@link #proceed()} (or {@link
 * #proceed(Object)} with a copy of the message carrying more metadata) exactly once to run the rest
 * of the chain and the handler, on the same thread.
 *
 * @param <M> {@link io.cqrs.Command} or {@link io.cqrs.VersionedEvent}
 */
public interface Handling<M> {

  /** The message as this link received it. */
  M message();

  /**
   * What handles it: the service taking commands from a bus, the subscription or the event
   * processor; {@code "direct"} for a message dispatched by a direct call.
   */
  String component();

  /**
   * How many times the handler has run for this handling so far: after {@link #proceed()}, more
   * than 1 where optimistic-concurrency conflicts were retried inside it.
   */
  int attempts();

  /**
   * The work the handler started and had not finished when {@link #proceed()} returned, or {@code
   * null} if it finished its work within {@code proceed} (every handler but an {@linkplain
   * io.cqrs.TrackingEventProcessor.Builder#asyncHandler asynchronous} one). Read after {@code
   * proceed} returns: the handling ends when the stage completes, and failed if it fails (the
   * processor then retries the event as it would a handler that threw). An interceptor that times
   * or traces handlings ends its timer or span then, as {@code CqrsMetrics} and {@code CqrsTracing}
   * do.
   */
  default CompletionStage<?> pending() {
    return null;
  }

  /**
   * Runs the rest of the chain and the handler with {@link #message()}.
   *
   * @return {@link Outcome#SUCCEEDED}, or {@link Outcome#DUPLICATE} where an earlier delivery of
   *     the command took effect
   * @throws Exception what the handler threw; {@link Outcome#of(Throwable)} names it
   * @throws InterceptorFailedException if an interceptor further in failed before the handler ran
   *     or broke the chain's contract (returned without proceeding, or no outcome), or if this one
   *     proceeds a second time: {@link Outcome#FAILED}
   */
  default Outcome proceed() throws Exception {
    return proceed(message());
  }

  /**
   * Runs the rest of the chain and the handler with {@code message} instead: the same message with
   * more (or other) metadata. The id, type and body must stay those of {@link #message()}.
   *
   * @throws IllegalArgumentException if {@code message} is not the same message
   */
  Outcome proceed(M message) throws Exception;
}
