package io.cqrs.example.bank.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.example.bank.domain.Money;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * A request's JSON object, read strictly: malformed JSON, trailing data after the object, a
 * duplicate key, a field that is not expected, a missing field, a field of the wrong type, text
 * that is not well-formed Unicode or holds control characters, an id that does not match {@link
 * #ID}, and an amount outside {@link Money}'s bounds each become a 400 that names the field, before
 * any command is made. The domain checks values further (an email address's form, a name's length).
 */
final class JsonBody {
  /** What an id looks like: the bank's UUIDs, and any short, printable name a test picks. */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  /** The longest text field taken; the domain's limits are lower still. */
  static final int MAX_TEXT = 1_000;

  /** The longest amount, as a string or a JSON number: more digits than any valid amount has. */
  private static final int MAX_AMOUNT_CHARS = 40;

  /** ASCII digits only: BigDecimal also reads other scripts' digits, which no client means. */
  private static final Pattern ASCII_NUMBER = Pattern.compile("[+-]?[0-9.]+([eE][+-]?[0-9]+)?");

  private static final long MAX_INTEGER_DIGITS = Money.integerDigits(Money.MAX);

  private final JsonNode node;

  private JsonBody(JsonNode node) {
    this.node = node;
  }

  /**
   * Parses a body that may hold only {@code fields}.
   *
   * @throws ApiException 400 if it is not such a JSON object
   */
  static JsonBody parse(ObjectMapper mapper, byte[] body, String... fields) {
    JsonNode node;
    try {
      node = body.length == 0 ? null : mapper.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("Malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiException.badRequest("Unreadable request body");
    }
    if (node == null || !node.isObject()) {
      throw ApiException.badRequest(
          "The request body must be a JSON object"
              + (fields.length == 0 ? "" : " with " + String.join(", ", fields)));
    }
    Set<String> expected = Set.of(fields);
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!expected.contains(name)) {
        throw ApiException.invalid(
            printable(name),
            "Unknown field '"
                + printable(name)
                + "'; expected "
                + (expected.isEmpty() ? "none" : String.join(", ", new TreeSet<>(expected))));
      }
    }
    return new JsonBody(node);
  }

  /** A required string field of well-formed, printable Unicode. */
  String text(String field) {
    JsonNode value = required(field);
    if (!value.isTextual()) {
      throw ApiException.invalid(field, "Field '" + field + "' must be a string");
    }
    return checkedText(field, value.textValue());
  }

  /** A required id field (see {@link #ID}). */
  String id(String field) {
    return id(field, text(field));
  }

  /**
   * {@code value} if it is an id (see {@link #ID}).
   *
   * @throws ApiException 400 naming {@code field} otherwise
   */
  static String id(String field, String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw ApiException.invalid(
          field,
          "'"
              + field
              + "' must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    return value;
  }

  /**
   * A required positive amount, a JSON number or a string such as {@code "12.50"}, normalised by
   * {@link Money#amount}: what a command carries is always two decimals, whatever the client wrote
   * ({@code 5}, {@code "5.000"}, {@code 0.5E1}).
   */
  BigDecimal amount(String field) {
    BigDecimal amount = decimal(field, required(field));
    if (amount.signum() <= 0) {
      throw ApiException.invalid(field, "Field '" + field + "' must be positive");
    }
    return normalised(field, Money::amount, amount);
  }

  /**
   * An optional amount that may be zero, normalised by {@link Money#balance}, or {@code otherwise}
   * when absent.
   */
  BigDecimal balance(String field, BigDecimal otherwise) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    BigDecimal amount = decimal(field, value);
    if (amount.signum() < 0) {
      throw ApiException.invalid(field, "Field '" + field + "' must not be negative");
    }
    return normalised(field, Money::balance, amount);
  }

  /**
   * {@code amount} as {@code rule} normalises it. {@link #decimal} has checked what the rule
   * checks, so this refuses nothing the checks let through; if the two ever disagree, the client
   * still gets a 400 naming the field rather than a 500.
   */
  private static BigDecimal normalised(
      String field, UnaryOperator<BigDecimal> rule, BigDecimal amount) {
    try {
      return rule.apply(amount);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(field, "Field '" + field + "' is not a valid amount");
    }
  }

  private JsonNode required(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw ApiException.invalid(field, "Missing field '" + field + "'");
    }
    return value;
  }

  /**
   * An amount within {@link Money}'s bounds (at most two decimals, at most {@link Money#MAX}),
   * checked on precision and scale alone: {@code 1E-999999999} is refused without ever being
   * written out in full. A zero is {@link Money#ZERO} whatever its sign and exponent: {@code
   * 0E-1500} must not reach a command as it is, which a bus would write out as 1500 zeros.
   */
  private static BigDecimal decimal(String field, JsonNode value) {
    BigDecimal amount = null;
    if (value.isNumber()) {
      amount = value.decimalValue(); // exact: the mapper reads floats as BigDecimal
    } else if (value.isTextual()
        && value.textValue().length() <= MAX_AMOUNT_CHARS
        && ASCII_NUMBER.matcher(value.textValue().strip()).matches()) {
      try {
        amount = new BigDecimal(value.textValue().strip());
      } catch (NumberFormatException e) {
        // Reported below, like any other value that is not a number (an exponent beyond an int).
      }
    }
    if (amount == null) {
      throw ApiException.invalid(field, "Field '" + field + "' must be a number such as 12.50");
    }
    if (amount.signum() == 0) {
      return Money.ZERO;
    }
    if (Money.integerDigits(amount) > MAX_INTEGER_DIGITS || amount.abs().compareTo(Money.MAX) > 0) {
      throw ApiException.invalid(field, "Field '" + field + "' must not exceed " + Money.MAX);
    }
    if (amount.scale() > 2 && amount.stripTrailingZeros().scale() > 2) {
      throw ApiException.invalid(field, "Field '" + field + "' must have at most two decimals");
    }
    return amount;
  }

  /**
   * {@code text} if it is well-formed Unicode (no lone surrogate) without control or formatting
   * characters (no line breaks to forge log lines, no bidirectional overrides), at most {@link
   * #MAX_TEXT} characters.
   */
  static String checkedText(String field, String text) {
    if (text.length() > MAX_TEXT) {
      throw ApiException.invalid(
          field, "Field '" + field + "' must be at most " + MAX_TEXT + " characters");
    }
    // By code point: a pair's character is checked too (the tag characters U+E0000 to U+E007F,
    // invisible formatting characters, are pairs), and a surrogate left alone is one of its own.
    for (int i = 0; i < text.length(); ) {
      int point = text.codePointAt(i);
      i += Character.charCount(point);
      int type = Character.getType(point);
      if (type == Character.SURROGATE) {
        throw ApiException.invalid(
            field, "Field '" + field + "' is not valid Unicode (a lone surrogate)");
      }
      if (type == Character.CONTROL
          || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw ApiException.invalid(
            field, "Field '" + field + "' must not hold control or formatting characters");
      }
    }
    return text;
  }

  /** Whether the body has {@code field}, {@code null} or not. */
  boolean has(String field) {
    return node.has(field);
  }

  /**
   * The body without its top-level field {@code left} in one canonical form (keys sorted at every
   * level), so that the same request sent again with its keys in another order or other spacing
   * reads as the same.
   */
  String canonicalWithout(String left) {
    JsonNode kept = node;
    if (node.has(left)) {
      kept = ((ObjectNode) node).deepCopy().without(left);
    }
    StringBuilder out = new StringBuilder();
    canonical(kept, out);
    return out.toString();
  }

  private static void canonical(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      out.append('{');
      TreeSet<String> names = new TreeSet<>();
      node.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        out.append(TextNodeQuote.quote(name)).append(':');
        canonical(node.get(name), out);
        out.append(',');
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (JsonNode element : node) {
        canonical(element, out);
        out.append(',');
      }
      out.append(']');
    } else {
      out.append(node.toString());
    }
  }

  /** JSON string quoting. */
  private static final class TextNodeQuote {
    static String quote(String text) {
      return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
    }
  }

  /** A client's field name, fit to be echoed in an error: printable, at most 100 characters. */
  static String printable(String name) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < name.length() && out.length() < 100; i++) {
      char c = name.charAt(i);
      out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
    }
    return out.toString();
  }

  /** The limits the mapper reads request bodies with (documents, numbers, nesting). */
  static StreamReadConstraints constraints() {
    return StreamReadConstraints.builder()
        .maxNestingDepth(20)
        .maxNumberLength(MAX_AMOUNT_CHARS)
        .maxStringLength(64 * 1024)
        .build();
  }
}
