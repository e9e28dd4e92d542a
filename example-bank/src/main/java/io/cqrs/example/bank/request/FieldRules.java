package io.cqrs.example.bank.request;

import io.cqrs.example.bank.domain.Money;
import java.math.BigDecimal;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * What a request's fields must be before a command is made of them: ids of 1 to 100 letters,
 * digits, '.', '_' or '-', starting with a letter or digit; text of well-formed Unicode without
 * control or formatting characters, of a bounded length; amounts within {@link Money}'s bounds,
 * judged on precision and scale alone, so that {@code 1e30000000} is refused without being written
 * out. Each refusal is an {@link InvalidFieldException} naming the field.
 */
public final class FieldRules {
  /** What an id looks like: the bank's UUIDs, and any short, printable name a client picks. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private static final long MAX_INTEGER_DIGITS = Money.integerDigits(Money.MAX);

  /** The most entries a page of a listing holds. */
  public static final int MAX_PAGE_SIZE = 500;

  /** The entries a page of a listing holds when the request does not say. */
  public static final int DEFAULT_PAGE_SIZE = 100;

  private FieldRules() {}

  /**
   * The number {@code value} writes in plain ASCII digits (no sign, no spaces, no exponent, no
   * other script's digits), or -1 if it is not one or exceeds {@link Long#MAX_VALUE}.
   */
  public static long wholeNumber(String value) {
    if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException beyondLong) {
      return -1;
    }
  }

  /**
   * The page size {@code value} asks for: 1 to {@link #MAX_PAGE_SIZE} in at most three plain ASCII
   * digits, or -1 if it is not one (each service words its own refusal).
   */
  public static int pageSize(String value) {
    long size = value.length() <= 3 ? wholeNumber(value) : -1;
    return size >= 1 && size <= MAX_PAGE_SIZE ? (int) size : -1;
  }

  /** {@code value} if it is an id (see {@link #ID}). */
  public static String id(String field, String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw new InvalidFieldException(
          field,
          "'"
              + field
              + "' must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    return value;
  }

  /**
   * {@code value} if it is present, at most {@code max} characters long, and well-formed Unicode
   * (no lone surrogate) without control or formatting characters: no line breaks to forge log
   * lines, no bidirectional overrides, no invisible tag characters.
   */
  public static String text(String field, String value, int max) {
    if (value == null) {
      throw missing(field);
    }
    if (value.length() > max) {
      throw new InvalidFieldException(
          field, "Field '" + field + "' must be at most " + max + " characters");
    }
    // By code point: a pair's character is checked too (the tag characters U+E0000 to U+E007F,
    // invisible formatting characters, are pairs), and a surrogate left alone is one of its own.
    for (int i = 0; i < value.length(); ) {
      int point = value.codePointAt(i);
      i += Character.charCount(point);
      int type = Character.getType(point);
      if (type == Character.SURROGATE) {
        throw new InvalidFieldException(
            field, "Field '" + field + "' is not valid Unicode (a lone surrogate)");
      }
      if (type == Character.CONTROL
          || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw new InvalidFieldException(
            field, "Field '" + field + "' must not hold control or formatting characters");
      }
    }
    return value;
  }

  /**
   * A required positive amount, normalised to two decimals by {@link Money#amount}: what a command
   * carries is always two decimals, whatever the client wrote ({@code 5}, {@code 5.000}, {@code
   * 0.5E1}).
   */
  public static BigDecimal amount(String field, BigDecimal value) {
    if (value == null) {
      throw missing(field);
    }
    BigDecimal amount = bounded(field, value);
    if (amount.signum() <= 0) {
      throw new InvalidFieldException(field, "Field '" + field + "' must be positive");
    }
    return normalised(field, Money::amount, amount);
  }

  /**
   * An amount that may be zero, normalised by {@link Money#balance}, or {@code otherwise} when
   * absent.
   */
  public static BigDecimal balance(String field, BigDecimal value, BigDecimal otherwise) {
    if (value == null) {
      return otherwise;
    }
    BigDecimal amount = bounded(field, value);
    if (amount.signum() < 0) {
      throw new InvalidFieldException(field, "Field '" + field + "' must not be negative");
    }
    return normalised(field, Money::balance, amount);
  }

  /**
   * A client's text, fit to be echoed in an error: control and format characters (U+200B, which
   * hides, U+202E, which reorders what a reader sees), line and paragraph separators and surrogates
   * replaced with '?', at most 100 characters.
   */
  public static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 100; i++) {
      char c = text.charAt(i);
      out.append(plain(c) ? c : '?');
    }
    return out.toString();
  }

  /**
   * Whether a character (or code point) may be echoed as it is: not a control or format character,
   * a line or paragraph separator, or a surrogate.
   */
  public static boolean plain(int codePoint) {
    return switch (Character.getType(codePoint)) {
      case Character.CONTROL,
          Character.FORMAT,
          Character.LINE_SEPARATOR,
          Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE ->
          false;
      default -> true;
    };
  }

  /** The refusal of a required field that is absent (or JSON's {@code null}). */
  private static InvalidFieldException missing(String field) {
    return new InvalidFieldException(field, "Missing field '" + field + "'");
  }

  /**
   * {@code value} within {@link Money}'s bounds (at most {@link Money#MAX}, at most two decimals),
   * checked on precision and scale alone: {@code 1E-999999999} is refused without ever being
   * written out in full. A zero is {@link Money#ZERO} whatever its sign and exponent: {@code
   * 0E-1500} must not reach a command as it is, which a bus would write out as 1500 zeros.
   */
  private static BigDecimal bounded(String field, BigDecimal value) {
    if (value.signum() == 0) {
      return Money.ZERO;
    }
    if (Money.integerDigits(value) > MAX_INTEGER_DIGITS || value.abs().compareTo(Money.MAX) > 0) {
      throw new InvalidFieldException(field, "Field '" + field + "' must not exceed " + Money.MAX);
    }
    if (value.scale() > 2 && value.stripTrailingZeros().scale() > 2) {
      throw new InvalidFieldException(
          field, "Field '" + field + "' must have at most two decimals");
    }
    return value;
  }

  /**
   * {@code amount} as {@code rule} normalises it. {@link #bounded} has checked what the rule
   * checks, so this refuses nothing the checks let through; if the two ever disagree, the client
   * still gets a refusal naming the field rather than a 500.
   */
  private static BigDecimal normalised(
      String field, UnaryOperator<BigDecimal> rule, BigDecimal amount) {
    try {
      return rule.apply(amount);
    } catch (IllegalArgumentException e) {
      throw new InvalidFieldException(field, "Field '" + field + "' is not a valid amount");
    }
  }
}
