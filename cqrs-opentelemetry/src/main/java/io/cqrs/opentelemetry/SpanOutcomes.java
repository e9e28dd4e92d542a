package io.cqrs.opentelemetry;

import io.cqrs.interceptor.Outcome;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** How a span records the end of what it measured: an outcome, or a failure with its exception. */
final class SpanOutcomes {
  private SpanOutcomes() {}

  /** Records {@code outcome}: status ERROR for every failing one, unset otherwise. */
  static void outcome(Span span, Outcome outcome) {
    span.setAttribute(TraceKeys.OUTCOME, outcome.tag());
    if (outcome != Outcome.SUCCEEDED && outcome != Outcome.DUPLICATE) {
      span.setStatus(StatusCode.ERROR, outcome.tag());
    }
  }

  /**
   * Records a handler's or repository's throwable: the outcome it stands for ({@link
   * Outcome#of(Throwable)}), and for a failing one status ERROR, {@code error.type} and the
   * exception as a span event.
   */
  static void thrown(Span span, Throwable failure) {
    Outcome outcome = Outcome.of(failure);
    span.setAttribute(TraceKeys.OUTCOME, outcome.tag());
    if (outcome != Outcome.DUPLICATE) {
      failed(span, failure);
    }
  }

  /** Records a failure: status ERROR, {@code error.type} and the exception. */
  static void failed(Span span, Throwable failure) {
    span.setAttribute(TraceKeys.ERROR_TYPE, failure.getClass().getName());
    span.recordException(failure);
    span.setStatus(
        StatusCode.ERROR,
        failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName());
  }

  /**
   * Ends the spans of one publish call when {@code sent} completes, failed where it failed; the
   * returned future completes after that, with the same result, so a caller that waits for the bus
   * finds the spans ended.
   */
  static CompletableFuture<Void> endWhenSent(CompletableFuture<Void> sent, List<Span> spans) {
    if (sent.isDone() && !sent.isCompletedExceptionally()) {
      // An in-memory bus, or a broker that answered already: no stage to chain.
      for (Span span : spans) {
        span.end();
      }
      return sent;
    }
    return sent.whenComplete(
        (ok, failure) -> {
          for (Span span : spans) {
            if (failure != null) {
              failed(span, unwrap(failure));
            }
            span.end();
          }
        });
  }

  /** Ends the spans of a publish call that threw before the bus had the messages. */
  static void endFailed(List<Span> spans, Throwable failure) {
    for (Span span : spans) {
      failed(span, failure);
      span.end();
    }
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
