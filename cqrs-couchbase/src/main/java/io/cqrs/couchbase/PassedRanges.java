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
 * relay is later reset back before them. So ranges are merged only where they touch or overlap,
 * never across a gap, even to save room. Immutable; disjoint, at most {@value #MOST} ranges, kept
 * in the order they were last recorded (what is stored, and readers of any order accept): beyond
 * that the one recorded longest ago goes (forgetting one only makes its events look unpublished),
 * never the one just added, which a relay reset back below the others records lowest in the log.
 */
final class PassedRanges {
  /** The most ranges kept: more only follow a reset each. */
  static final int MOST = 64;

  static final PassedRanges NONE = new PassedRanges(new long[0]);

  // from0, to0, from1, to1, ...: disjoint and not touching, the one recorded last at the end.
  private final long[] bounds;

  private PassedRanges(long[] bounds) {
    this.bounds = bounds;
  }

  /**
   * The ranges {@code [[from, to], ...]} as stored, the one recorded last at the end.
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

  /**
   * These ranges and {@code (from, to]}, merged with those it touches and recorded last; these
   * ranges themselves if one holds it already.
   */
  PassedRanges with(long from, long to) {
    if (to <= from || holds(from, to)) {
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
    int skip = Math.max(0, out.size() - MOST);
    long[] merged = new long[(out.size() - skip) * 2];
    for (int i = skip; i < out.size(); i++) {
      merged[(i - skip) * 2] = out.get(i)[0];
      merged[(i - skip) * 2 + 1] = out.get(i)[1];
    }
    return new PassedRanges(merged);
  }

  /** These ranges and {@code other}'s, recorded after these in {@code other}'s order. */
  PassedRanges with(PassedRanges other) {
    PassedRanges merged = this;
    for (int i = 0; i < other.bounds.length; i += 2) {
      merged = merged.with(other.bounds[i], other.bounds[i + 1]);
    }
    return merged;
  }

  /** Whether there is no range. */
  boolean isEmpty() {
    return bounds.length == 0;
  }

  /** Whether every range of {@code other} is inside one of these already. */
  boolean holds(PassedRanges other) {
    for (int i = 0; i < other.bounds.length; i += 2) {
      if (!holds(other.bounds[i], other.bounds[i + 1])) {
        return false;
      }
    }
    return true;
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

  /** The ranges as stored: {@code [[from, to], ...]}, the one recorded last at the end. */
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

  /** The ranges in log order, for people. */
  @Override
  public String toString() {
    List<long[]> sorted = ranges();
    sorted.sort((a, b) -> Long.compare(a[0], b[0]));
    StringBuilder text = new StringBuilder();
    for (long[] range : sorted) {
      text.append(text.length() == 0 ? "" : " ").append('(').append(range[0]).append(", ");
      text.append(range[1]).append(']');
    }
    return text.toString();
  }
}
