package io.cqrs.example.bank.spring;

import io.cqrs.example.bank.domain.Money;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * The checks every request passes before a command is made or a password hashed, the same as
 * example-bank's ({@code JsonBody}): ids of 1 to 100 letters, digits, '.', '_' or '-', starting
 * with a letter or digit; amounts within {@link Money}'s bounds, judged on precision and scale
 * alone (so that {@code 1e30000000} is refused without being written out); names, email addresses
 * and passwords present, bounded and free of control characters. Each failure is an {@link
 * InvalidRequestException} naming the field.
 */
final class Requests {
  /** What an id looks like, as in example-bank: the bank's UUIDs and any short printable name. */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  /** The longest first or last name (the domain's limit). */
  static final int MAX_NAME = 100;

  /** The longest email address (the domain's limit). */
  static final int MAX_EMAIL = 254;

  private Requests() {}

  /** {@code value} if it is an id. */
  static String id(String field, String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw new InvalidRequestException(
          field,
          "'"
              + field
              + "' must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    return value;
  }

  /** A required positive amount, normalised to two decimals by {@link Money#amount}. */
  static BigDecimal amount(String field, BigDecimal value) {
    if (value == null) {
      throw new InvalidRequestException(field, "Missing field '" + field + "'");
    }
    if (value.signum() <= 0) {
      throw new InvalidRequestException(field, "Field '" + field + "' must be positive");
    }
    return money(field, value, true);
  }

  /** An optional amount that may be zero, normalised by {@link Money#balance}; zero if absent. */
  static BigDecimal balance(String field, BigDecimal value) {
    if (value == null) {
      return Money.ZERO;
    }
    if (value.signum() < 0) {
      throw new InvalidRequestException(field, "Field '" + field + "' must not be negative");
    }
    return money(field, value, false);
  }

  private static BigDecimal money(String field, BigDecimal value, boolean positive) {
    if (value.signum() != 0
        && (Money.integerDigits(value) > Money.integerDigits(Money.MAX)
            || value.abs().compareTo(Money.MAX) > 0)) {
      throw new InvalidRequestException(
          field, "Field '" + field + "' must not exceed " + Money.MAX);
    }
    if (value.scale() > 2 && value.stripTrailingZeros().scale() > 2) {
      throw new InvalidRequestException(
          field, "Field '" + field + "' must have at most two decimals");
    }
    try {
      return positive ? Money.amount(value) : Money.balance(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(field, "Field '" + field + "' is not a valid amount");
    }
  }

  /** A required first or last name: not blank, at most {@value #MAX_NAME} characters. */
  static String name(String field, String value) {
    String text = text(field, value, MAX_NAME);
    if (text.isBlank()) {
      throw new InvalidRequestException(field, "Field '" + field + "' must not be blank");
    }
    return text;
  }

  /**
   * A required email address, at most {@value #MAX_EMAIL} characters; the domain checks its form.
   */
  static String email(String field, String value) {
    String text = text(field, value, MAX_EMAIL);
    if (!text.contains("@")) {
      throw new InvalidRequestException(
          field, "Field '" + field + "' must be an address like ada@example.org");
    }
    return text;
  }

  /**
   * A required password of the length {@link PasswordHasher} accepts, checked before it is hashed:
   * a request the hasher would refuse must neither cost a hash nor end in a 500.
   */
  static String password(String field, String value) {
    String text = text(field, value, PasswordHasher.MAX_PASSWORD_LENGTH);
    if (text.length() < PasswordHasher.MIN_PASSWORD_LENGTH || text.isBlank()) {
      throw new InvalidRequestException(
          field,
          "Field '"
              + field
              + "' must be "
              + PasswordHasher.MIN_PASSWORD_LENGTH
              + " to "
              + PasswordHasher.MAX_PASSWORD_LENGTH
              + " characters and not blank");
    }
    return text;
  }

  /**
   * A required string of at most {@code max} characters of well-formed Unicode (no lone surrogate)
   * without control or formatting characters (no line breaks to forge log lines).
   */
  static String text(String field, String value, int max) {
    if (value == null) {
      throw new InvalidRequestException(field, "Missing field '" + field + "'");
    }
    if (value.length() > max) {
      throw new InvalidRequestException(
          field, "Field '" + field + "' must be at most " + max + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
        continue;
      }
      if (Character.isSurrogate(c)) {
        throw new InvalidRequestException(
            field, "Field '" + field + "' is not valid Unicode (a lone surrogate)");
      }
      int type = Character.getType(c);
      if (type == Character.CONTROL
          || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw new InvalidRequestException(
            field, "Field '" + field + "' must not hold control or formatting characters");
      }
    }
    return value;
  }

  /** A request body that must be present: {@code null} is what the JSON literal null reads as. */
  static <T> T body(T body) {
    if (body == null) {
      throw new InvalidRequestException("body", "The request body must be a JSON object");
    }
    return body;
  }

  /** A client's text, fit to be echoed in an error: printable, at most 100 characters. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 100; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
    }
    return out.toString();
  }
}
