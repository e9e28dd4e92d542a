package io.cqrs.example.bank.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.example.bank.domain.Money;
import io.cqrs.example.bank.request.FieldRules;
import io.cqrs.example.bank.request.InvalidFieldException;
import io.cqrs.example.bank.request.Utf8;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A request's JSON object, read strictly: malformed JSON, trailing data after the object, a
 * duplicate key, a field that is not expected, a missing field, a field of the wrong type, text
 * that is not well-formed Unicode or holds control characters, an id that does not match {@link
 * FieldRules#ID}, and an amount outside {@link Money}'s bounds each become a 400 that names the
 * field, before any command is made ({@link FieldRules}, which example-bank-spring applies too).
 * The domain checks values further (an email address's form, a name's length).
 */
final class JsonBody {

  /** The longest text field taken; the domain's limits are lower still. */
  static final int MAX_TEXT = 1_000;

  /** The longest amount, as a string or a JSON number: more digits than any valid amount has. */
  private static final int MAX_AMOUNT_CHARS = 40;

  /** ASCII digits only: BigDecimal also reads other scripts' digits, which no client means. */
  private static final Pattern ASCII_NUMBER = Pattern.compile("[+-]?[0-9.]+([eE][+-]?[0-9]+)?");

  private final JsonNode node;

  private JsonBody(JsonNode node) {
    this.node = node;
  }

  /** Where in the body the parser stopped, if it says: " at line 1, column 12". */
  private static String where(JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    if (location == null || location.getLineNr() < 1 || location.getColumnNr() < 1) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  /**
   * Parses a body that may hold only {@code fields}.
   *
   * @throws ApiException 400 if it is not such a JSON object
   */
  static JsonBody parse(ObjectMapper mapper, byte[] body, String... fields) {
    int malformed = Utf8.firstMalformedByte(body);
    if (malformed >= 0) {
      throw ApiException.badRequest(
          "The request body is not well-formed UTF-8 (at byte " + malformed + ")");
    }
    JsonNode node;
    try {
      node = body.length == 0 ? null : mapper.readTree(body);
    } catch (StreamConstraintsException e) {
      throw ApiException.badRequest(
          "Malformed JSON: nested too deeply, or a number or text too long" + where(e));
    } catch (JsonProcessingException e) {
      // Jackson's own message quotes the body's bytes and names its settings: the place only,
      // but for a field given twice, whose name is all the message holds (and a problem's detail
      // shows only plain characters of it).
      String message = e.getOriginalMessage();
      throw ApiException.badRequest(
          message != null && message.startsWith("Duplicate field '")
              ? "Malformed JSON: " + message
              : "Malformed JSON" + where(e));
    } catch (IOException e) {
      throw ApiException.badRequest("Unreadable request body");
    } catch (NumberFormatException | ArithmeticException e) {
      // A number BigDecimal cannot hold (an exponent beyond an int: 1e99999999999).
      throw ApiException.badRequest("The request body holds a number out of range");
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
            FieldRules.printable(name),
            "Unknown field '"
                + FieldRules.printable(name)
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

  /** A required id field (see {@link FieldRules#ID}). */
  String id(String field) {
    return id(field, text(field));
  }

  /**
   * {@code value} if it is an id (see {@link FieldRules#ID}).
   *
   * @throws ApiException 400 naming {@code field} otherwise
   */
  static String id(String field, String value) {
    return checked(() -> FieldRules.id(field, value));
  }

  /**
   * A required positive amount, a JSON number or a string such as {@code "12.50"}, normalised by
   * {@link FieldRules#amount}: what a command carries is always two decimals, whatever the client
   * wrote ({@code 5}, {@code "5.000"}, {@code 0.5E1}).
   */
  BigDecimal amount(String field) {
    BigDecimal amount = decimal(field, required(field));
    return checked(() -> FieldRules.amount(field, amount));
  }

  /**
   * An optional amount that may be zero, normalised by {@link FieldRules#balance}, or {@code
   * otherwise} when absent.
   */
  BigDecimal balance(String field, BigDecimal otherwise) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    BigDecimal amount = decimal(field, value);
    return checked(() -> FieldRules.balance(field, amount, otherwise));
  }

  private JsonNode required(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw ApiException.invalid(field, "Missing field '" + field + "'");
    }
    return value;
  }

  /**
   * The number a field holds, a JSON number (read exactly: the mapper reads floats as BigDecimal)
   * or a string of ASCII digits of at most {@value #MAX_AMOUNT_CHARS} characters; {@link
   * FieldRules} judges its value.
   */
  /**
   * Whether {@code number} was written with an exponent beyond an int ({@code 1e2147483648}): JDK
   * 17's {@code BigDecimal} refuses to parse one, later JDKs (25) take it with the least scale
   * there is. Refused alike on every JDK, as JDK 17 does.
   */
  private static boolean beyondAnInt(BigDecimal number) {
    return number.scale() == Integer.MIN_VALUE;
  }

  private static BigDecimal decimal(String field, JsonNode value) {
    BigDecimal amount = null;
    if (value.isNumber()) {
      amount = value.decimalValue();
      if (beyondAnInt(amount)) {
        throw ApiException.badRequest("The request body holds a number out of range");
      }
    } else if (value.isTextual()
        && value.textValue().length() <= MAX_AMOUNT_CHARS
        && ASCII_NUMBER.matcher(value.textValue().strip()).matches()) {
      try {
        amount = new BigDecimal(value.textValue().strip());
      } catch (NumberFormatException e) {
        // Reported below, like any other value that is not a number (an exponent beyond an int).
      }
      if (amount != null && beyondAnInt(amount)) {
        amount = null;
      }
    }
    if (amount == null) {
      throw ApiException.invalid(field, "Field '" + field + "' must be a number such as 12.50");
    }
    return amount;
  }

  /**
   * {@code text} if it is well-formed Unicode without control or formatting characters, at most
   * {@link #MAX_TEXT} characters ({@link FieldRules#text}).
   */
  static String checkedText(String field, String text) {
    return checked(() -> FieldRules.text(field, text, MAX_TEXT));
  }

  /** What {@code rule} returns; its refusal as this API's 400 naming the field. */
  private static <T> T checked(Supplier<T> rule) {
    try {
      return rule.get();
    } catch (InvalidFieldException e) {
      throw ApiException.invalid(e.field(), e.getMessage());
    }
  }

  /** Whether the body has {@code field}, {@code null} or not. */
  boolean has(String field) {
    return node.has(field);
  }

  /**
   * The body without its top-level field {@code left} in one canonical form (keys sorted at every
   * level, numbers by value), so that the same request sent again with its keys in another order,
   * other spacing or a number written another way ({@code 5}, {@code 5.00}, {@code 0.5e1}) reads as
   * the same.
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
    } else if (node.isNumber()) {
      // By value, in BigDecimal's own scientific form: never expanded (1e999999 stays short).
      out.append(node.decimalValue().stripTrailingZeros());
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

  /** The limits the mapper reads request bodies with (documents, numbers, nesting). */
  static StreamReadConstraints constraints() {
    return StreamReadConstraints.builder()
        .maxNestingDepth(20)
        .maxNumberLength(MAX_AMOUNT_CHARS)
        .maxStringLength(64 * 1024)
        .build();
  }
}
