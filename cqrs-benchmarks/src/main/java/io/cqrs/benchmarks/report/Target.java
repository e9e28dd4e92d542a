package io.cqrs.benchmarks.report;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A performance target of issue 2, checked against a run's results. */
public sealed interface Target {

  /** What the target asks, in words. */
  String description();

  /** How the run measured against the target; empty if the run lacks a result it needs. */
  Optional<Outcome> evaluate(JmhResults results);

  /**
   * {@code variant}'s ops/s divided by {@code baseline}'s must be at least {@code minimum}.
   *
   * @param params the JMH parameters both results must have
   */
  static Target ratio(
      String description,
      String benchmark,
      String variant,
      String baseline,
      Map<String, String> params,
      double minimum) {
    return new Ratio(description, benchmark, variant, baseline, Map.copyOf(params), minimum);
  }

  /** {@code variant} must allocate less than {@code maximum} bytes per operation. */
  static Target allocation(
      String description,
      String benchmark,
      String variant,
      Map<String, String> params,
      double maximum) {
    return new Allocation(description, benchmark, variant, Map.copyOf(params), maximum);
  }

  /** Whether a target was met. */
  enum Verdict {
    /** Met even comparing the unfavourable ends of the two error bars. */
    MET("yes"),
    /** Met on the mean scores, but not at the unfavourable ends of the error bars. */
    MET_WITHIN_ERROR("yes, on the means (not at the ends of the error bars)"),
    NOT_MET("**no**");

    private final String text;

    Verdict(String text) {
      this.text = text;
    }

    /** The verdict as the report prints it. */
    public String text() {
      return text;
    }
  }

  /** A measured figure and its verdict. */
  record Outcome(String measured, Verdict verdict) {}

  /** See {@link Target#ratio}. */
  record Ratio(
      String description,
      String benchmark,
      String variant,
      String baseline,
      Map<String, String> params,
      double minimum)
      implements Target {
    @Override
    public Optional<Outcome> evaluate(JmhResults results) {
      Optional<Result> measured = results.find(benchmark, variant, params);
      Optional<Result> base = results.find(benchmark, baseline, params);
      if (measured.isEmpty() || base.isEmpty()) {
        return Optional.empty();
      }
      double ratio = measured.get().score() / base.get().score();
      double worst = measured.get().low() / base.get().high();
      Verdict verdict =
          ratio < minimum
              ? Verdict.NOT_MET
              : worst < minimum ? Verdict.MET_WITHIN_ERROR : Verdict.MET;
      String text =
          String.format(
              Locale.ROOT,
              "%s = %.2f × %s (at least %.2f needed; %.2f at the ends of the error bars)",
              variant,
              ratio,
              baseline,
              minimum,
              worst);
      return Optional.of(new Outcome(text, verdict));
    }
  }

  /** See {@link Target#allocation}. */
  record Allocation(
      String description,
      String benchmark,
      String variant,
      Map<String, String> params,
      double maximum)
      implements Target {
    @Override
    public Optional<Outcome> evaluate(JmhResults results) {
      Optional<Result> measured = results.find(benchmark, variant, params);
      if (measured.isEmpty() || Double.isNaN(measured.get().allocatedPerOp())) {
        return Optional.empty();
      }
      double bytes = measured.get().allocatedPerOp();
      String text =
          String.format(
              Locale.ROOT,
              "%s allocates %.3f B per event (less than %.1f needed)",
              variant,
              bytes,
              maximum);
      return Optional.of(new Outcome(text, bytes < maximum ? Verdict.MET : Verdict.NOT_MET));
    }
  }
}
