package io.cqrs.internal;

import java.util.concurrent.CompletableFuture;

/**
 * The work an asynchronous event handler started and has not finished: what {@link
 * io.cqrs.interceptor.Handling#pending()} answers. A {@link io.cqrs.TrackingEventProcessor} with an
 * {@code asyncHandler} {@linkplain #open() opens} a collector on its thread before it runs an event
 * through its handler chain; the first {@link HandlingChain} made on the thread then {@linkplain
 * #claim() claims} it (the event's own chain: a chain made later, say for a command the handler
 * dispatches in this process, gets none); the chain's innermost handler {@linkplain #add adds} the
 * stage it started (the stages of a split event's parts combined); and the processor takes the
 * stage once the chain returns, then {@linkplain #close() closes} the collector.
 */
public final class PendingWork {
  private static final ThreadLocal<PendingWork> OPEN = new ThreadLocal<>();

  private CompletableFuture<?> stage;
  private boolean claimed;

  private PendingWork() {}

  /** Opens a collector on this thread, replacing any left open. */
  public static PendingWork open() {
    PendingWork work = new PendingWork();
    OPEN.set(work);
    return work;
  }

  /** Closes this thread's collector. */
  public static void close() {
    OPEN.remove();
  }

  /**
   * Adds {@code stage} to the work of this thread's collector: the event is done when all of its
   * stages are.
   *
   * @throws IllegalStateException if no collector is open on this thread
   */
  public static void add(CompletableFuture<?> stage) {
    PendingWork work = OPEN.get();
    if (work == null) {
      throw new IllegalStateException("No asynchronous handling is open on this thread");
    }
    work.stage = work.stage == null ? stage : CompletableFuture.allOf(work.stage, stage);
  }

  /** This thread's open collector, if no chain has claimed it yet; {@code null} otherwise. */
  static PendingWork claim() {
    PendingWork work = OPEN.get();
    if (work == null || work.claimed) {
      return null;
    }
    work.claimed = true;
    return work;
  }

  /** The work started so far, or {@code null} if none. */
  public CompletableFuture<?> stage() {
    return stage;
  }
}
