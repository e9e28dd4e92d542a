package io.cqrs.example.bank;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Progress of a long operation over the integration log (a rebuild's replay): how much is done of
 * how much, the rate, and the time left at that rate.
 *
 * <p>On a terminal it redraws one line in place (a carriage return, no line feed) at most every
 * {@link #TERMINAL_INTERVAL}; anywhere else (a log file, a pipe, a CI job) it writes a plain line
 * at most every {@link #PLAIN_INTERVAL}, so a long run leaves a readable trail and a short one a
 * single line. {@link #finish} always ends with a complete line. Not thread-safe: one thread
 * reports.
 */
public final class Progress {
  /** How often a terminal's line is redrawn at most. */
  public static final Duration TERMINAL_INTERVAL = Duration.ofMillis(200);

  /** How often a plain line is written at most. */
  public static final Duration PLAIN_INTERVAL = Duration.ofSeconds(10);

  private final PrintStream out;
  private final String what;
  private final String unit;
  private final boolean terminal;
  private final LongSupplier nanoTime;
  private final long started;
  private long shownAt = Long.MIN_VALUE;
  private int drawn;

  Progress(PrintStream out, String what, String unit, boolean terminal, LongSupplier nanoTime) {
    this.out = Objects.requireNonNull(out, "out");
    this.what = Objects.requireNonNull(what, "what");
    this.unit = Objects.requireNonNull(unit, "unit");
    this.terminal = terminal;
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.started = nanoTime.getAsLong();
  }

  /**
   * Progress written to {@code out}, redrawn in place when {@code out} is the standard output of a
   * process attached to a terminal.
   *
   * @param what what is being done, such as {@code "replay"}
   * @param unit what is counted, such as {@code "log positions"}
   */
  public static Progress to(PrintStream out, String what, String unit) {
    boolean terminal = out == System.out && System.console() != null;
    return new Progress(out, what, unit, terminal, System::nanoTime);
  }

  /**
   * Reports {@code done} of {@code total}; written only if its interval has passed and work is left
   * ({@link #finish} writes the end).
   */
  public void update(long done, long total) {
    if (total > 0 && done >= total) {
      return; // the end is for finish to show, once
    }
    long now = nanoTime.getAsLong();
    long interval = (terminal ? TERMINAL_INTERVAL : PLAIN_INTERVAL).toNanos();
    if (shownAt != Long.MIN_VALUE && now - shownAt < interval) {
      return;
    }
    shownAt = now;
    show(line(done, total, now), false);
  }

  /** Reports the end: {@code done} of {@code total}, on a complete line. */
  public void finish(long done, long total) {
    show(line(done, total, nanoTime.getAsLong()), true);
  }

  private void show(String line, boolean last) {
    if (terminal) {
      // Pad over what the previous, longer line left on the screen.
      String padded = line + " ".repeat(Math.max(0, drawn - line.length()));
      drawn = line.length();
      out.print("\r" + padded + (last ? System.lineSeparator() : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** {@code replay: 1200 of 5000 log positions (24%), 800/s, about 5 s left}. */
  String line(long done, long total, long now) {
    double seconds = Math.max(0, now - started) / 1e9;
    StringBuilder line = new StringBuilder(what).append(": ").append(done);
    if (total > 0) {
      line.append(" of ").append(total).append(' ').append(unit);
      line.append(String.format(Locale.ROOT, " (%d%%)", Math.min(100, done * 100 / total)));
    } else {
      line.append(' ').append(unit);
    }
    if (seconds > 0 && done > 0) {
      double rate = done / seconds;
      line.append(String.format(Locale.ROOT, ", %.0f/s", rate));
      if (total > done) {
        line.append(", about ")
            .append(duration((long) Math.ceil((total - done) / rate)))
            .append(" left");
      }
    }
    return line.toString();
  }

  private static String duration(long seconds) {
    if (seconds < 60) {
      return seconds + " s";
    }
    if (seconds < 3600) {
      return seconds / 60 + " min " + seconds % 60 + " s";
    }
    return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
  }
}
