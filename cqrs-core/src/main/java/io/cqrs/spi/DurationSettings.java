package io.cqrs.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The check every builder of the framework and its adapters makes of a duration setting, for
 * builders of other adapters to make alike. Stateless.
 */
public final class DurationSettings {
  /**
   * The longest any duration setting may be. Each is added to a clock's instant or waited for in
   * nanoseconds somewhere, far from where it was set, which a "never" ({@code ChronoUnit.FOREVER},
   * centuries) overflows: refused when set, rather than failing a retry, a relay pass or a
   * processor later.
   */
  public static final Duration LONGEST = Duration.ofDays(365);

  private DurationSettings() {}

  /**
   * {@code value}, if positive and at most {@link #LONGEST}.
   *
   * @throws NullPointerException naming {@code setting} if null
   * @throws IllegalArgumentException naming {@code setting} and the value if zero, negative or
   *     longer than {@link #LONGEST}
   */
  public static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive, was " + value);
    }
    return atMostLongest(setting, value);
  }

  /**
   * {@code value}, if zero or positive and at most {@link #LONGEST}.
   *
   * @throws NullPointerException naming {@code setting} if null
   * @throws IllegalArgumentException naming {@code setting} and the value if negative or longer
   *     than {@link #LONGEST}
   */
  public static Duration notNegative(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative()) {
      throw new IllegalArgumentException(setting + " must not be negative, was " + value);
    }
    return atMostLongest(setting, value);
  }

  private static Duration atMostLongest(String setting, Duration value) {
    if (value.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(
          setting + " must be at most " + LONGEST.toDays() + " days, was " + value);
    }
    return value;
  }
}
