package io.cqrs;

import io.cqrs.internal.PendingWork;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Carries the stages an asynchronous handler returns through the synchronous handler chain
 * (interceptors, split parts) of a {@link TrackingEventProcessor}: the chain's innermost handler
 * starts the work and leaves its stage in {@link PendingWork}, where interceptors see it ({@link
 * io.cqrs.interceptor.Handling#pending()}), and the worker thread that called the chain takes it.
 * Each worker calls the chain on its own thread, so a thread-local holds one event's stage.
 */
final class AsyncStarts {

  /** The innermost handler: starts {@code handler}'s work on an event and records its stage. */
  VersionedEventHandler starting(
      Function<? super VersionedEvent, ? extends CompletionStage<?>> handler) {
    return event -> {
      CompletableFuture<?> stage =
          Objects.requireNonNull(handler.apply(event), "asyncHandler returned null")
              .toCompletableFuture();
      // The parts of a split event each start work; the event is done when all of them are.
      PendingWork.add(stage);
    };
  }

  /** Runs {@code chain} on {@code event} and returns the stage it started (done if none). */
  CompletableFuture<?> start(VersionedEventHandler chain, VersionedEvent event) throws Exception {
    PendingWork work = PendingWork.open();
    try {
      chain.handle(event);
      CompletableFuture<?> stage = work.stage();
      return stage == null ? CompletableFuture.completedFuture(null) : stage;
    } finally {
      PendingWork.close();
    }
  }

  /** A synchronous handler: starts the work on each event and waits for it. */
  VersionedEventHandler awaiting(VersionedEventHandler chain) {
    return event -> await(start(chain, event));
  }

  /**
   * Throws {@code failure} as it is (a stage's failure is an {@code Exception} or an {@code
   * Error}), for a caller that declares {@code throws Exception}; the return type lets it write
   * {@code throw rethrow(e)}.
   */
  @SuppressWarnings("unchecked")
  static <T extends Throwable> T rethrow(Throwable failure) throws T {
    throw (T) failure;
  }

  /** Waits for {@code stage}, throwing what it failed with. */
  static void await(CompletableFuture<?> stage) throws Exception {
    try {
      stage.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof Exception exception) {
        throw exception;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }
}
