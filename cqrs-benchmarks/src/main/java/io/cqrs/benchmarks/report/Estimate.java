package io.cqrs.benchmarks.report;

/**
 * A figure measured once per iteration: the mean over the iterations and its 99.9% confidence
 * half-width (NaN with fewer than two iterations), as JMH gives its scores.
 */
public record Estimate(double mean, double error) {

  /** The lowest value within the error bars (the mean itself when there is no error). */
  public double low() {
    return Double.isNaN(error) ? mean : mean - error;
  }

  /** The highest value within the error bars (the mean itself when there is no error). */
  public double high() {
    return Double.isNaN(error) ? mean : mean + error;
  }
}
