package io.cqrs.benchmarks.report;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** A performance target of an issue, checked against a run's results. */
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

  /**
   * {@code variant} must allocate less than {@code maximum} bytes per operation, an operation being
   * {@code operation} (an event, a command) in the report's words.
   */
  static Target allocation(
      String description,
      String benchmark,
      String variant,
      Map<String, String> params,
      double maximum,
      String operation) {
    return new Allocation(description, benchmark, variant, Map.copyOf(params), maximum, operation);
  }

  /**
   * {@code variant} must wait for no more sequential round trips per command than {@code baseline}:
   * the mean of its {@code roundTrips} event counter per {@code commands} at most {@link
   * RoundTrips#TOLERANCE} above the baseline's. The counts are means over every measured command,
   * so a fraction of a round trip is noise (a fan-out whose first answer came back before its
   * second request left); a whole one is an extra step of the protocol.
   */
  static Target noExtraRoundTrip(
      String description,
      String benchmark,
      String variant,
      String baseline,
      Map<String, String> params) {
    return new RoundTrips(description, benchmark, variant, baseline, Map.copyOf(params));
  }

  /**
   * {@code variant}'s CPU time per command (its {@code cpuNanos} event counter per {@code
   * commands}, iteration by iteration) must be at most {@code maximum} times {@code baseline}'s.
   */
  static Target cpuPerCommand(
      String description,
      String benchmark,
      String variant,
      String baseline,
      Map<String, String> params,
      double maximum) {
    return new CpuPerCommand(
        description, benchmark, variant, baseline, Map.copyOf(params), maximum);
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

  /** See {@link Target#noExtraRoundTrip}. */
  record RoundTrips(
      String description,
      String benchmark,
      String variant,
      String baseline,
      Map<String, String> params)
      implements Target {
    /** How many more round trips per command, on average, still count as none. */
    static final double TOLERANCE = 0.5;

    @Override
    public Optional<Outcome> evaluate(JmhResults results) {
      Optional<Result> measured = results.find(benchmark, variant, params);
      Optional<Result> base = results.find(benchmark, baseline, params);
      if (measured.isEmpty() || base.isEmpty()) {
        return Optional.empty();
      }
      OptionalDouble trips =
          measured.get().eventsPer(CommandCounters.ROUND_TRIPS, CommandCounters.COMMANDS);
      OptionalDouble baseTrips =
          base.get().eventsPer(CommandCounters.ROUND_TRIPS, CommandCounters.COMMANDS);
      if (trips.isEmpty() || baseTrips.isEmpty()) {
        return Optional.empty();
      }
      // Rounded first, so that the same count on both sides prints as +0.00, never -0.00.
      double extra = Math.round((trips.getAsDouble() - baseTrips.getAsDouble()) * 100) / 100.0;
      String text =
          String.format(
              Locale.ROOT,
              "%s: %.2f sequential round trips per command (%s KV operations); %s: %.2f (%s);"
                  + " %+.2f (less than %.2f more needed)",
              variant,
              trips.getAsDouble(),
              CommandCounters.kvOperations(measured.get()),
              baseline,
              baseTrips.getAsDouble(),
              CommandCounters.kvOperations(base.get()),
              extra,
              TOLERANCE);
      return Optional.of(new Outcome(text, extra < TOLERANCE ? Verdict.MET : Verdict.NOT_MET));
    }
  }

  /** See {@link Target#cpuPerCommand}. */
  record CpuPerCommand(
      String description,
      String benchmark,
      String variant,
      String baseline,
      Map<String, String> params,
      double maximum)
      implements Target {
    @Override
    public Optional<Outcome> evaluate(JmhResults results) {
      Optional<Estimate> measured =
          results.find(benchmark, variant, params).flatMap(CommandCounters::cpuMicros);
      Optional<Estimate> base =
          results.find(benchmark, baseline, params).flatMap(CommandCounters::cpuMicros);
      if (measured.isEmpty() || base.isEmpty()) {
        return Optional.empty();
      }
      double ratio = measured.get().mean() / base.get().mean();
      double worst = measured.get().high() / base.get().low();
      Verdict verdict =
          ratio > maximum
              ? Verdict.NOT_MET
              : worst > maximum ? Verdict.MET_WITHIN_ERROR : Verdict.MET;
      String text =
          String.format(
              Locale.ROOT,
              "%s: %.3f µs of CPU per command; %s: %.3f µs; %.2f × (at most %.2f allowed; %.2f at"
                  + " the ends of the error bars)",
              variant,
              measured.get().mean(),
              baseline,
              base.get().mean(),
              ratio,
              maximum,
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
      double maximum,
      String operation)
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
              "%s allocates %.3f B per %s (less than %.1f needed)",
              variant,
              bytes,
              operation,
              maximum);
      return Optional.of(new Outcome(text, bytes < maximum ? Verdict.MET : Verdict.NOT_MET));
    }
  }
}
