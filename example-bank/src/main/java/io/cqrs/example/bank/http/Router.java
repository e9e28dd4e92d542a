package io.cqrs.example.bank.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches a request's method and path against routes such as {@code POST /accounts/{id}/credit}. An
 * unknown path is a 404; a known path with another method is a 405 that lists the allowed ones.
 * Built once, then only read: thread-safe.
 */
final class Router {

  /** Handles a matched request. */
  @FunctionalInterface
  interface Handler {
    Response handle(Request request) throws Exception;
  }

  /**
   * A matched request.
   *
   * @param pathParameters the values of the route's {@code {name}} segments
   * @param body the raw request body
   */
  record Request(Map<String, String> pathParameters, byte[] body) {
    /** A path parameter of the route. */
    String path(String name) {
      String value = pathParameters.get(name);
      if (value == null) {
        throw new IllegalStateException("The route has no path parameter '" + name + "'");
      }
      return value;
    }
  }

  private record Route(String method, String[] segments, Handler handler) {}

  private final List<Route> routes = new ArrayList<>();

  /** Adds a route; {@code template} segments in braces match any one path segment. */
  Router add(String method, String template, Handler handler) {
    routes.add(new Route(method, split(template), handler));
    return this;
  }

  /** The response of the route that matches, or the 404 / 405 {@link ApiException}. */
  Response route(String method, String path, byte[] body) throws Exception {
    String[] segments = split(path);
    Set<String> allowed = new TreeSet<>();
    for (Route route : routes) {
      Map<String, String> parameters = match(route.segments(), segments);
      if (parameters == null) {
        continue;
      }
      if (route.method().equals(method)) {
        return route.handler().handle(new Request(parameters, body));
      }
      allowed.add(route.method());
    }
    if (allowed.isEmpty()) {
      throw new ApiException(404, "not_found", "No such resource: " + path);
    }
    throw new ApiException(
        405,
        "method_not_allowed",
        method + " is not allowed on " + path + "; use " + String.join(" or ", allowed),
        Map.of("Allow", String.join(", ", allowed)));
  }

  private static Map<String, String> match(String[] template, String[] path) {
    if (template.length != path.length) {
      return null;
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    for (int i = 0; i < template.length; i++) {
      String expected = template[i];
      if (expected.startsWith("{") && expected.endsWith("}")) {
        parameters.put(expected.substring(1, expected.length() - 1), path[i]);
      } else if (!expected.equals(path[i])) {
        return null;
      }
    }
    return parameters;
  }

  private static String[] split(String path) {
    String trimmed = path.replaceAll("^/+|/+$", "");
    return trimmed.isEmpty() ? new String[0] : trimmed.split("/+");
  }
}
