package io.cqrs;

import java.time.Duration;
import java.util.Objects;

/** The check every builder makes of a duration setting. Stateless. */
final class Durations {
  private Durations() {}

  /**
   * {@code value}, if positive.
   *
   * @throws NullPointerException naming {@code setting} if null
   * @throws IllegalArgumentException naming {@code setting} and the value if zero or negative
   */
  static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive, was " + value);
    }
    return value;
  }

  /**
   * {@code value}, if positive and at most {@code max}: for a setting that is added to a clock's
   * instant or counted in nanoseconds, where a "never" such as {@code ChronoUnit.FOREVER} would
   * overflow far from where it was set.
   *
   * @throws IllegalArgumentException naming {@code setting} and the value if zero, negative or
   *     longer than {@code max}
   */
  static Duration positive(String setting, Duration value, Duration max) {
    positive(setting, value);
    if (value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          setting + " must be at most " + max.toDays() + " days, was " + value);
    }
    return value;
  }
}
