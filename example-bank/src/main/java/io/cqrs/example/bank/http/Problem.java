package io.cqrs.example.bank.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cqrs.example.bank.request.FieldRules;

/**
 * An error response body as RFC 9457 defines it ({@code application/problem+json}), with two
 * extension members: {@code code}, a stable short name to switch on, and {@code field}, the request
 * field, header or path parameter at fault.
 *
 * @param type a URI naming the kind of problem: {@code urn:cqrs:bank:problem:<code>}
 * @param title the status's reason phrase
 * @param status the HTTP status
 * @param detail what went wrong with this request, for a human
 * @param instance the request's path
 * @param code the short name, such as {@code insufficient_funds}
 * @param field the field at fault, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Problem(
    String type,
    String title,
    int status,
    String detail,
    String instance,
    String code,
    String field) {

  /** The media type of a problem. */
  static final String CONTENT_TYPE = "application/problem+json";

  private static final int MAX_DETAIL = 500;
  private static final int MAX_INSTANCE = 200;
  private static final int MAX_FIELD = 100;

  static Problem of(int status, String code, String detail, String instance, String field) {
    return new Problem(
        "urn:cqrs:bank:problem:" + code,
        title(status),
        status,
        shown(detail, MAX_DETAIL),
        shown(instance, MAX_INSTANCE),
        code,
        shown(field, MAX_FIELD));
  }

  /**
   * Text written back to the client, which may echo what it sent: never unbounded, and with every
   * character that is not plain text made {@code ?} (controls, which would forge lines in a log
   * that records the answer; format characters such as U+202E, which reorder what a reader sees, or
   * U+200B, which hides; line and paragraph separators; unpaired surrogates).
   */
  static String shown(String text, int max) {
    if (text == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 3);
    int i = 0;
    while (i < text.length() && out.length() < max) {
      int point = text.codePointAt(i);
      int length = Character.charCount(point);
      if (plain(point)) {
        out.append(text, i, i + length);
      } else {
        out.append('?');
      }
      i += length;
    }
    return i < text.length() ? out.append("...").toString() : out.toString();
  }

  /** {@link FieldRules#plain}, and neither private-use nor unassigned. */
  private static boolean plain(int point) {
    int type = Character.getType(point);
    return FieldRules.plain(point) && type != Character.PRIVATE_USE && type != Character.UNASSIGNED;
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Content";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "HTTP " + status;
    };
  }
}
