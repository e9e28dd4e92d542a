package io.cqrs.scaleout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A run's clock and what happened on it: the time of the first command (the run's start), and each
 * fault injected since, with its time, a short label for the charts' markers and a description for
 * the report. Notes without a time on the charts (a fault skipped or not part of the run) go to the
 * report's list only. Thread-safe: a fault may be recorded from a helper thread.
 */
final class FaultLog {
  private final Consumer<String> say;
  private final List<String> lines = new ArrayList<>();
  private final List<Timeline.Marker> markers = new ArrayList<>();
  private long startNanos;
  private long startMillis;

  /**
   * @param say where each line also goes as it is recorded
   */
  FaultLog(Consumer<String> say) {
    this.say = Objects.requireNonNull(say, "say");
    start();
  }

  /** Sets the run's start to now: the time the publishers begin to send. */
  synchronized void start() {
    startNanos = System.nanoTime();
    startMillis = System.currentTimeMillis();
  }

  /** The run's start in epoch milliseconds, the time axis of the publishers' send times. */
  synchronized long startMillis() {
    return startMillis;
  }

  /** Time since the run's start. */
  synchronized Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /**
   * A fault injected now (or an event of one, such as the broker up again).
   *
   * @param label a few words for its marker on the charts, e.g. {@code SIGKILL worker-1}
   */
  synchronized void injected(String label, String description) {
    injected(elapsed(), label, description);
  }

  /** A fault that began at {@code at} on the run's clock (see {@link #elapsed()}). */
  synchronized void injected(Duration at, String label, String description) {
    markers.add(new Timeline.Marker(at.toMillis() / 1000.0, label));
    line(at, description);
  }

  /** A line for the report's list of faults, with no marker: a fault skipped or left out. */
  synchronized void note(String description) {
    line(elapsed(), description);
  }

  private void line(Duration at, String description) {
    String line = String.format("%5.1f s  %s", at.toMillis() / 1000.0, description);
    lines.add(line);
    say.accept("fault: " + line);
  }

  /** Every fault and note, each with its time since the start, in order. */
  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** The faults injected, for the charts. */
  synchronized List<Timeline.Marker> markers() {
    return List.copyOf(markers);
  }
}
