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
}
