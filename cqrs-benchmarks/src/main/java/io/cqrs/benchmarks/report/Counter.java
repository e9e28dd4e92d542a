package io.cqrs.benchmarks.report;

import java.util.List;

/**
 * An event counter of a benchmark ({@code @AuxCounters(EVENTS)}, unit {@code #}).
 *
 * @param total summed over the measured iterations (and threads)
 * @param iterations its value in each measured iteration, forks one after another
 */
public record Counter(double total, List<Double> iterations) {

  public Counter {
    iterations = List.copyOf(iterations);
  }
}
