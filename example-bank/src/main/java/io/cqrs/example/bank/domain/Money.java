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

  /**
   * The largest amount the bank handles, and the largest balance a deposit or a received transfer
   * may bring an account to: 13 digits before the decimal point. Only a refund may take a balance
   * past it (see {@link Account#refundTransfer}).
   */
  public static final BigDecimal MAX = new BigDecimal("9999999999999.99");

  private static final long INTEGER_DIGITS = integerDigits(MAX);

  private Money() {}

  /**
   * How many digits a value has before the decimal point (zero or less for a fraction below one),
   * in a {@code long}: precision minus scale overflows an {@code int} for a scale near {@code
   * Integer.MIN_VALUE}, as {@code 1E+2147483647} has.
   */
  public static long integerDigits(BigDecimal value) {
    return (long) value.precision() - value.scale();
  }

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

  /**
   * {@code value} with two decimals, judged on its precision and scale before anything is scaled: a
   * value such as 1E+999999999 must be refused, not expanded. A zero is zero whatever its scale
   * ({@code 0E-1500}, {@code -0E+2147483647}), which the digit count below would misjudge.
   */
  private static BigDecimal normalise(String what, BigDecimal value) {
    Objects.requireNonNull(value, what);
    if (value.signum() == 0) {
      return ZERO;
    }
    if (integerDigits(value) > INTEGER_DIGITS) {
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
