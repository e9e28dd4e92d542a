package io.cqrs.scaleout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A run over time, second by second on the run's clock (from the launch of its publishers): how
 * many commands had their outcome in each second, and the 50th and 99th percentile of their latency
 * (from the publisher's first attempt to send the command until the store recorded its outcome),
 * with the run's faults.
 *
 * <p>The charts ({@link TimelineCharts}) and the table ({@link #csv()}) are both drawn from one
 * timeline, so that what the picture shows is what the table says. Built from two arrays of times,
 * never an object per command ({@link #of}).
 *
 * @param seconds one row per second, from second 0 to the last second with an outcome
 * @param faults the faults, each with its time and a short label
 * @param undated commands left out for want of a time: sent before the run's start (the openings),
 *     or with no outcome (lost)
 */
public record Timeline(List<Second> seconds, List<Marker> faults, int undated) {
  /** The header line of {@link #csv()}. */
  public static final String CSV_HEADER = "second,completed,p50_ms,p99_ms";

  /**
   * One second of a run.
   *
   * @param second seconds on the run's clock (this row covers [second, second + 1))
   * @param completed commands whose outcome was recorded in this second
   * @param p50Millis the median latency of those commands in ms, or {@code null} if none
   * @param p99Millis their 99th percentile latency in ms (nearest rank), or {@code null} if none
   */
  public record Second(int second, int completed, Long p50Millis, Long p99Millis) {}

  /**
   * A fault on the time axis.
   *
   * @param atSeconds when it was injected, in seconds on the run's clock
   * @param label what it was, short enough to label a marker
   */
  public record Marker(double atSeconds, String label) {
    public Marker {
      Objects.requireNonNull(label, "label");
    }
  }

  public Timeline {
    seconds = List.copyOf(seconds);
    faults = List.copyOf(faults);
  }

  /** An empty timeline: nothing dated. */
  public static Timeline empty() {
    return new Timeline(List.of(), List.of(), 0);
  }

  /**
   * Buckets per-command times into seconds since {@code startMillis}: each command counts in the
   * second its outcome was recorded. A command with a time of 0 in either array (not sent by a
   * publisher, or without an outcome) is left out and counted as undated; one sent before {@code
   * startMillis} too.
   *
   * @param sentMillis when each command was first sent (epoch ms), 0 if unknown
   * @param decidedMillis when each command's outcome was recorded (epoch ms), 0 if never; index for
   *     index the same commands as {@code sentMillis}
   */
  public static Timeline of(
      long[] sentMillis, long[] decidedMillis, long startMillis, List<Marker> faults) {
    if (sentMillis.length != decidedMillis.length) {
      throw new IllegalArgumentException(
          "sentMillis and decidedMillis must have one entry per command: "
              + sentMillis.length
              + " and "
              + decidedMillis.length);
    }
    // One long per command, (second << 32) | latency: sorted, the commands of each second come
    // together, and within a second in order of latency, so percentiles need no further sort.
    long[] keys = new long[sentMillis.length];
    int dated = 0;
    for (int i = 0; i < sentMillis.length; i++) {
      if (sentMillis[i] <= 0 || decidedMillis[i] <= 0 || sentMillis[i] < startMillis) {
        continue;
      }
      long second = (decidedMillis[i] - startMillis) / 1000;
      long latency = Math.min(Integer.MAX_VALUE, Math.max(0, decidedMillis[i] - sentMillis[i]));
      keys[dated++] = (second << 32) | latency;
    }
    keys = Arrays.copyOf(keys, dated);
    Arrays.sort(keys);
    List<Second> rows = new ArrayList<>();
    int from = 0;
    int last = dated == 0 ? -1 : (int) (keys[dated - 1] >>> 32);
    for (int second = 0; second <= last; second++) {
      int to = from;
      while (to < dated && (keys[to] >>> 32) == second) {
        to++;
      }
      int n = to - from;
      rows.add(
          n == 0
              ? new Second(second, 0, null, null)
              : new Second(second, n, latency(keys, from, n, 0.50), latency(keys, from, n, 0.99)));
      from = to;
    }
    return new Timeline(rows, faults, sentMillis.length - dated);
  }

  /** The nearest-rank percentile {@code q} of the {@code n} sorted latencies from {@code from}. */
  private static long latency(long[] keys, int from, int n, double q) {
    int rank = (int) Math.ceil(q * n);
    return keys[from + Math.max(1, rank) - 1] & 0xFFFF_FFFFL;
  }

  /** Commands with an outcome in this timeline. */
  public long completed() {
    return seconds.stream().mapToLong(Second::completed).sum();
  }

  /** The rows as CSV, a header first: {@code second,completed,p50_ms,p99_ms}; empty when none. */
  public String csv() {
    StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
    for (Second s : seconds) {
      csv.append(s.second())
          .append(',')
          .append(s.completed())
          .append(',')
          .append(s.p50Millis() == null ? "" : s.p50Millis())
          .append(',')
          .append(s.p99Millis() == null ? "" : s.p99Millis())
          .append('\n');
    }
    return csv.toString();
  }

  /**
   * Reads the rows of {@link #csv()} back (faults are not in it).
   *
   * @throws IllegalArgumentException if the text is not such a table
   */
  public static List<Second> parseCsv(String csv) {
    List<String> lines = csv.lines().toList();
    if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
      throw new IllegalArgumentException("Not a timeline table: it must start " + CSV_HEADER);
    }
    List<Second> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",", -1);
      if (cells.length != 4) {
        throw new IllegalArgumentException("Not a timeline row: " + line);
      }
      rows.add(
          new Second(
              Integer.parseInt(cells[0]),
              Integer.parseInt(cells[1]),
              cells[2].isEmpty() ? null : Long.valueOf(cells[2]),
              cells[3].isEmpty() ? null : Long.valueOf(cells[3])));
    }
    return rows;
  }
}
