package io.cqrs.example.bank.http;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.Map;
import java.util.Set;

/**
 * Refuses what a page of another site can make a browser send. A browser that holds the API's HTTP
 * Basic credentials (cached since a sign-in dialog) adds them to any request to this origin, a form
 * that another site submits included. Such a form can only POST (a body or none) as {@code
 * application/x-www-form-urlencoded}, {@code multipart/form-data} or {@code text/plain}; sending
 * {@code Content-Type: application/json} or a header of its own takes a CORS preflight, which this
 * server never grants. So a request that may change state (POST, PUT, PATCH, DELETE) must carry
 * {@code application/json} as its content type, even with an empty body, or the {@value
 * Console#REQUESTED_WITH} header the console sends; any other is answered 415 before its
 * credentials are looked at.
 */
final class CrossSiteRequests {
  private static final Set<HandlerType> STATE_CHANGING =
      Set.of(HandlerType.POST, HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE);

  private CrossSiteRequests() {}

  /**
   * Checks a request routed to an endpoint (one with no route is answered 404 or 405 anyway).
   *
   * @throws ApiException 415 if it may change state and carries neither mark above
   */
  static void check(Context ctx) {
    if (STATE_CHANGING.contains(ctx.method())
        && !isJson(ctx.contentType())
        && ctx.header(Console.REQUESTED_WITH) == null) {
      throw new ApiException(
          415,
          "unsupported_media_type",
          "Send the request as application/json (an empty body too), or with the "
              + Console.REQUESTED_WITH
              + " header",
          "Content-Type",
          Map.of());
    }
  }

  /** {@code application/json}, with parameters such as a charset or none. */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return type.strip().equalsIgnoreCase("application/json");
  }
}
