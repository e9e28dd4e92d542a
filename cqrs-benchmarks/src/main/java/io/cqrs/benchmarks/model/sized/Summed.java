package io.cqrs.benchmarks.model.sized;

/** What every aggregate of the dispatch benchmark exposes, to check that variants agree. */
public interface Summed {
  /** The version of the last event applied. */
  long version();

  /** The sum the handlers accumulated: each adds its event's value plus its type's number. */
  long sum();
}
