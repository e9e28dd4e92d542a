package io.cqrs.example.bank.http;

import com.fasterxml.jackson.annotation.JsonInclude;

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

  static Problem of(int status, String code, String detail, String instance, String field) {
    return new Problem(
        "urn:cqrs:bank:problem:" + code,
        title(status),
        status,
        bounded(detail),
        instance,
        code,
        field);
  }

  /** A detail is written back to the client: never echo an unbounded input. */
  private static String bounded(String detail) {
    if (detail == null || detail.length() <= MAX_DETAIL) {
      return detail;
    }
    return detail.substring(0, MAX_DETAIL) + "...";
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
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "HTTP " + status;
    };
  }
}
