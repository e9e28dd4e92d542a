package io.cqrs.example.bank.http;

import io.javalin.http.Context;
import java.util.Enumeration;

/**
 * Headers a request may give at most once. Given twice, the server would read the first and a proxy
 * in front of it might act on the last (credentials, an idempotency key): such a request is refused
 * rather than read one way here and another there, by every route that needs the header. A route
 * open to anyone ({@code /ready}) takes repeated credentials for none instead ({@link
 * Authentication#isAdmin}).
 */
final class RequestHeaders {
  private RequestHeaders() {}

  /**
   * The header's value, or {@code null} if absent.
   *
   * @throws ApiException 400 naming the header if it is given more than once
   */
  static String single(Context ctx, String name) {
    Enumeration<String> values = ctx.req().getHeaders(name);
    if (values == null || !values.hasMoreElements()) {
      return null;
    }
    String value = values.nextElement();
    if (values.hasMoreElements()) {
      throw ApiException.invalid(name, name + " must be given at most once");
    }
    return value;
  }
}
