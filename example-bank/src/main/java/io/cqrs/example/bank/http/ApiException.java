package io.cqrs.example.bank.http;

import java.util.Map;

/**
 * A request the API itself turns away, before the bank sees it: its status, a short code, why, and
 * the field or header at fault (or {@code null}). Answered as an RFC 9457 problem ({@link
 * Problem}).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final String field;
  private final transient Map<String, String> headers;

  ApiException(int status, String code, String message) {
    this(status, code, message, null, Map.of());
  }

  ApiException(int status, String code, String message, String field, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
    this.headers = Map.copyOf(headers);
  }

  /** A 400 Bad Request about the request as a whole. */
  static ApiException badRequest(String message) {
    return new ApiException(400, "bad_request", message);
  }

  /** A 400 Bad Request naming the field (or header, or path parameter) at fault. */
  static ApiException invalid(String field, String message) {
    return new ApiException(400, "invalid_field", message, field, Map.of());
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  String field() {
    return field;
  }

  Map<String, String> headers() {
    return headers;
  }
}
