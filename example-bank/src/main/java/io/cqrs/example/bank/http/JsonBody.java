package io.cqrs.example.bank.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request's JSON object, read strictly: malformed JSON, a field that is not expected, a missing
 * field or a field of the wrong type each become a 400 that names the field. Values are checked
 * further by the domain (an amount's sign and decimals, an email address's form).
 */
final class JsonBody {
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
    } catch (java.io.IOException e) {
      throw ApiException.badRequest("Unreadable request body: " + e.getMessage());
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
        throw ApiException.badRequest(
            "Unknown field '"
                + name
                + "'; expected "
                + (expected.isEmpty() ? "none" : String.join(", ", new TreeSet<>(expected))));
      }
    }
    return new JsonBody(node);
  }

  /** A required string field. */
  String text(String field) {
    JsonNode value = required(field);
    if (!value.isTextual()) {
      throw ApiException.badRequest("Field '" + field + "' must be a string");
    }
    return value.textValue();
  }

  /** A required amount: a JSON number or a string such as {@code "12.50"}. */
  BigDecimal amount(String field) {
    return decimal(field, required(field));
  }

  /** An optional amount, {@code otherwise} when absent. */
  BigDecimal amount(String field, BigDecimal otherwise) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? otherwise : decimal(field, value);
  }

  private JsonNode required(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw ApiException.badRequest("Missing field '" + field + "'");
    }
    return value;
  }

  private static BigDecimal decimal(String field, JsonNode value) {
    if (value.isNumber()) {
      return value.decimalValue();
    }
    if (value.isTextual()) {
      try {
        return new BigDecimal(value.textValue().strip());
      } catch (NumberFormatException e) {
        // Reported below, like any other value that is not a number.
      }
    }
    throw ApiException.badRequest("Field '" + field + "' must be a number such as 12.50");
  }
}
