package io.cqrs.benchmarks.report;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.openjdk.jmh.util.ListStatistics;

/**
 * One benchmark's result from a JMH JSON file.
 *
 * @param benchmark the benchmark class's simple name, e.g. {@code DispatchBenchmark}
 * @param variant the benchmark method, e.g. {@code generated}
 * @param params the JMH parameters it ran with
 * @param score the primary metric (ops/s for every benchmark here)
 * @param error the primary metric's 99.9% confidence half-width; NaN with a single iteration
 * @param unit the primary metric's unit
 * @param allocatedPerOp bytes allocated per operation ({@code -prof gc}), or NaN without it
 * @param events the benchmark's own event counters by name; empty if it has none
 */
public record Result(
    String benchmark,
    String variant,
    Map<String, String> params,
    double score,
    double error,
    String unit,
    double allocatedPerOp,
    Map<String, Counter> events) {

  public Result {
    params = Map.copyOf(params);
    events = Map.copyOf(events);
  }

  /**
   * One event counter's total divided by another's, e.g. KV operations per command; empty if the
   * run lacks either or the divisor is zero.
   */
  public OptionalDouble eventsPer(String counter, String divisor) {
    Counter count = events.get(counter);
    Counter per = events.get(divisor);
    if (count == null || per == null || per.total() == 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(count.total() / per.total());
  }

  /**
   * One event counter divided by another in each iteration, e.g. CPU time per command, as a mean
   * over the iterations with its 99.9% confidence half-width; empty if the run lacks either counter
   * or no iteration has a divisor above zero.
   */
  public Optional<Estimate> eventsPerIteration(String counter, String divisor) {
    Counter count = events.get(counter);
    Counter per = events.get(divisor);
    if (count == null || per == null) {
      return Optional.empty();
    }
    ListStatistics ratios = new ListStatistics();
    int n = Math.min(count.iterations().size(), per.iterations().size());
    for (int i = 0; i < n; i++) {
      if (per.iterations().get(i) > 0) {
        ratios.addValue(count.iterations().get(i) / per.iterations().get(i));
      }
    }
    if (ratios.getN() == 0) {
      return Optional.empty();
    }
    return Optional.of(new Estimate(ratios.getMean(), ratios.getMeanErrorAt(0.999)));
  }

  /** The lowest score within the error bars (the score itself when there is no error). */
  public double low() {
    return Double.isNaN(error) ? score : score - error;
  }

  /** The highest score within the error bars (the score itself when there is no error). */
  public double high() {
    return Double.isNaN(error) ? score : score + error;
  }

  /** Whether this result is of {@code benchmark}'s {@code variant} with these parameters. */
  public boolean is(String benchmark, String variant, Map<String, String> params) {
    return this.benchmark.equals(benchmark)
        && this.variant.equals(variant)
        && this.params.equals(params);
  }
}
