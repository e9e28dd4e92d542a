package io.cqrs.couchbase;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The log positions relays passed without writing the marks their own process owed ({@link
 * OwedMarks}): ranges {@code (from, to]}, each one relay's unbroken run of checkpoints from where
 * it took the lease, so that every unmarked stream event inside one reached the bus. A range is
 * never stretched across a jump of the checkpoint that no relay made by passing events (an
 * operator's reset past some): the events skipped there stay unpublished, and are published if the
 * relay is later reset back before them. Immutable; sorted, merged, at most {@value #MOST} ranges
 * (the oldest go first: forgetting one only makes its events look unpublished).
 */
final class PassedRanges {
  /** The most ranges kept: more only follow a reset each. */
  static final int MOST = 64;

  static final PassedRanges NONE = new PassedRanges(new long[0]);

  // from0, to0, from1, to1, ...: sorted, disjoint and not touching.
  private final long[] bounds;

  private PassedRanges(long[] bounds) {
    this.bounds = bounds;
  }

  /**
   * The ranges {@code [[from, to], ...]} as stored.
   *
   * @throws IllegalArgumentException if a range is not two positions {@code 0 <= from < to}
   */
  static PassedRanges of(List<long[]> ranges) {
    PassedRanges merged = NONE;
    for (long[] range : ranges) {
      if (range.length != 2 || range[0] < 0 || range[1] <= range[0]) {
        throw new IllegalArgumentException("a range must be [from, to] with 0 <= from < to");
      }
      merged = merged.with(range[0], range[1]);
    }
    return merged;
  }

  /** These ranges and {@code (from, to]}, merged with those it touches. */
  PassedRanges with(long from, long to) {
    if (to <= from) {
      return this;
    }
    List<long[]> out = new ArrayList<>();
    long newFrom = from;
    long newTo = to;
    for (int i = 0; i < bounds.length; i += 2) {
      long f = bounds[i];
      long t = bounds[i + 1];
      if (t < newFrom || f > newTo) {
        out.add(new long[] {f, t});
      } else {
        newFrom = Math.min(newFrom, f);
        newTo = Math.max(newTo, t);
      }
    }
    out.add(new long[] {newFrom, newTo});
    out.sort((a, b) -> Long.compare(a[0], b[0]));
    int skip = Math.max(0, out.size() - MOST);
    long[] merged = new long[(out.size() - skip) * 2];
    for (int i = skip; i < out.size(); i++) {
      merged[(i - skip) * 2] = out.get(i)[0];
      merged[(i - skip) * 2 + 1] = out.get(i)[1];
    }
    return new PassedRanges(merged);
  }

  /** Whether {@code (from, to]} is inside one range already. */
  boolean holds(long from, long to) {
    for (int i = 0; i < bounds.length; i += 2) {
      if (bounds[i] <= from && to <= bounds[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** Whether a relay passed {@code position}. */
  boolean covers(long position) {
    for (int i = 0; i < bounds.length; i += 2) {
      if (bounds[i] < position && position <= bounds[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** The ranges as stored: {@code [[from, to], ...]}. */
  List<long[]> ranges() {
    List<long[]> ranges = new ArrayList<>(bounds.length / 2);
    for (int i = 0; i < bounds.length; i += 2) {
      ranges.add(new long[] {bounds[i], bounds[i + 1]});
    }
    return ranges;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PassedRanges ranges && Arrays.equals(bounds, ranges.bounds);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bounds);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    for (long[] range : ranges()) {
      text.append(text.length() == 0 ? "" : " ").append('(').append(range[0]).append(", ");
      text.append(range[1]).append(']');
    }
    return text.toString();
  }
}
