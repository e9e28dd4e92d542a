package io.cqrs.interceptor;

import io.cqrs.ConcurrencyException;
import io.cqrs.CqrsException;
import io.cqrs.DuplicateCommandException;

/**
 * How handling one message ended, as a handler interceptor sees it: returned by {@link
 * Handling#proceed()} when the handler returned, and worked out with {@link #of(Throwable)} when it
 * threw.
 */
public enum Outcome {
  /** The handler ran and returned. */
  SUCCEEDED,
  /**
   * An earlier delivery of the same command took effect, so this one did nothing (see {@link
   * io.cqrs.CommandDispatchManager}); not a failure.
   */
  DUPLICATE,
  /**
   * The domain refused the message: the handler threw something that is not a {@link
   * CqrsException}.
   */
  REJECTED,
  /** An optimistic-concurrency conflict outlasted the retries ({@link ConcurrencyException}). */
  CONFLICT,
  /** The framework or an outside system failed: any other {@link CqrsException}. */
  FAILED;

  /** The outcome a handler's throwable stands for. */
  public static Outcome of(Throwable failure) {
    if (failure instanceof ConcurrencyException) {
      return CONFLICT;
    }
    if (failure instanceof DuplicateCommandException) {
      return DUPLICATE;
    }
    if (failure instanceof CqrsException) {
      return FAILED;
    }
    return REJECTED;
  }

  /** The lower-case name, as metrics and span attributes show it: {@code succeeded}, … */
  public String tag() {
    return switch (this) {
      case SUCCEEDED -> "succeeded";
      case DUPLICATE -> "duplicate";
      case REJECTED -> "rejected";
      case CONFLICT -> "conflict";
      case FAILED -> "failed";
    };
  }
}
