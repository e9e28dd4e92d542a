package io.cqrs.example.bank.domain;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * The rules every amount of money in the bank follows: a {@link BigDecimal} with exactly two
 * decimals, never rounded. An amount with more decimals is refused rather than rounded, because a
 * bank that silently rounds loses or creates money.
 *
 * <p>Events and read models hold amounts already normalised by these methods, so two equal amounts
 * are also {@code equals} (which {@link BigDecimal} compares with the scale).
 */
public final class Money {
  /** Zero, with two decimals. */
  public static final BigDecimal ZERO = BigDecimal.ZERO.setScale(2, RoundingMode.UNNECESSARY);

  /** The largest amount or balance the bank handles: 13 digits before the decimal point. */
  public static final BigDecimal MAX = new BigDecimal("9999999999999.99");

  private Money() {}

  /**
   * A positive amount to credit, debit or transfer, with two decimals.
   *
   * @throws IllegalArgumentException if the amount is missing, not positive, has more than two
   *     decimals or exceeds {@link #MAX}
   */
  public static BigDecimal amount(BigDecimal amount) {
    BigDecimal normalised = normalise("amount", amount);
    if (normalised.signum() <= 0) {
      throw new IllegalArgumentException("amount must be positive, was " + normalised);
    }
    return normalised;
  }

  /**
   * A balance that is zero or positive, with two decimals.
   *
   * @throws IllegalArgumentException if the balance is missing, negative, has more than two
   *     decimals or exceeds {@link #MAX}
   */
  public static BigDecimal balance(BigDecimal balance) {
    BigDecimal normalised = normalise("balance", balance);
    if (normalised.signum() < 0) {
      throw new IllegalArgumentException("balance must not be negative, was " + normalised);
    }
    return normalised;
  }

  private static String shortForm(BigDecimal value) {
    String text = value.toString();
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  private static BigDecimal normalise(String what, BigDecimal value) {
    Objects.requireNonNull(value, what);
    // Checked before any scaling: a value such as 1E+999999999 must be refused, not expanded.
    if (value.precision() - value.scale() > MAX.precision() - MAX.scale()) {
      throw new IllegalArgumentException(what + " must not exceed " + MAX);
    }
    BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.scale() > 2) {
      throw new IllegalArgumentException(
          // toString, not toPlainString: 1E-10000000 would be ten million characters.
          what + " must have at most two decimals, was " + shortForm(value));
    }
    BigDecimal normalised = stripped.setScale(2, RoundingMode.UNNECESSARY);
    if (normalised.abs().compareTo(MAX) > 0) {
      throw new IllegalArgumentException(what + " must not exceed " + MAX);
    }
    return normalised;
  }
}
