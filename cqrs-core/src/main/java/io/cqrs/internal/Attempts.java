package io.cqrs.internal;

/**
 * Counts the runs of a handler within one handling: the terminal of a {@link HandlingChain} calls
 * {@link #next()} each time it runs the handler, conflict retries included.
 */
@FunctionalInterface
public interface Attempts {
  /** For a handler called without a chain: counts nothing, so one instance serves all. */
  Attempts UNCOUNTED = () -> {};

  /** Counts one more run of the handler. */
  void next();
}
