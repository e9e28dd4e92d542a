package io.cqrs.example.bank.spring;

import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.Money;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.request.FieldRules;
import io.cqrs.example.bank.request.InvalidFieldException;
import java.math.BigDecimal;
import java.util.function.Supplier;

/**
 * The checks every request passes before a command is made or a password hashed: example-bank's
 * {@link FieldRules} (ids, amounts within {@link Money}'s bounds, text free of control and
 * formatting characters), and the domain's limits on names, email addresses and passwords, checked
 * here so that a request the domain would refuse costs no hash and never ends in a 500. Each
 * failure is an {@link InvalidRequestException} naming the field.
 */
final class Requests {

  /** The longest first or last name (the domain's limit). */
  static final int MAX_NAME = 100;

  /** The longest email address (the domain's limit). */
  static final int MAX_EMAIL = 254;

  /** The most entries a page of a listing holds (example-bank's). */
  static final int MAX_LIMIT = FieldRules.MAX_PAGE_SIZE;

  /** The entries a page holds when the request does not say (example-bank's). */
  static final int DEFAULT_LIMIT = FieldRules.DEFAULT_PAGE_SIZE;

  private Requests() {}

  /**
   * A page's size: 1 to {@value #MAX_LIMIT} in plain ASCII digits (no sign, no exponent, no
   * spaces), {@value #DEFAULT_LIMIT} if absent.
   */
  static int limit(String field, String value) {
    if (value == null) {
      return DEFAULT_LIMIT;
    }
    int limit = FieldRules.pageSize(value);
    if (limit < 1) {
      throw new InvalidRequestException(
          field, "Parameter '" + field + "' must be a whole number from 1 to " + MAX_LIMIT);
    }
    return limit;
  }

  /** {@code value} if it is an id ({@link FieldRules#id}). */
  static String id(String field, String value) {
    return checked(() -> FieldRules.id(field, value));
  }

  /** A required positive amount, normalised to two decimals ({@link FieldRules#amount}). */
  static BigDecimal amount(String field, BigDecimal value) {
    return checked(() -> FieldRules.amount(field, value));
  }

  /** An optional amount that may be zero ({@link FieldRules#balance}); zero if absent. */
  static BigDecimal balance(String field, BigDecimal value) {
    return checked(() -> FieldRules.balance(field, value, Money.ZERO));
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
   * A required email address, at most {@value #MAX_EMAIL} characters, of the form the domain takes
   * ({@link Account#checkEmail}): one the account would refuse is refused here, before a password
   * is hashed and an opening sent that could only fail.
   */
  static String email(String field, String value) {
    String text = text(field, value, MAX_EMAIL);
    try {
      Account.checkEmail(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(
          field, "Field '" + field + "' must be an address like ada@example.org");
    }
    return text;
  }

  /** The id of a transfer's destination: another account than its source. */
  static String destination(String field, String value, String source) {
    String id = id(field, value);
    if (id.equals(source)) {
      throw new InvalidRequestException(
          field, "Field '" + field + "' must name another account than the source");
    }
    return id;
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
   * A required string of at most {@code max} characters of well-formed Unicode without control or
   * formatting characters ({@link FieldRules#text}).
   */
  static String text(String field, String value, int max) {
    return checked(() -> FieldRules.text(field, value, max));
  }

  /** What {@code rule} returns; its refusal as this service's 400 naming the field. */
  private static <T> T checked(Supplier<T> rule) {
    try {
      return rule.get();
    } catch (InvalidFieldException e) {
      throw new InvalidRequestException(e.field(), e.getMessage());
    }
  }

  /** A request body that must be present: {@code null} is what the JSON literal null reads as. */
  static <T> T body(T body) {
    if (body == null) {
      throw new InvalidRequestException("body", "The request body must be a JSON object");
    }
    return body;
  }
}
