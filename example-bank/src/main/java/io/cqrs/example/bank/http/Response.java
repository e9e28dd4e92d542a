package io.cqrs.example.bank.http;

import java.util.Map;

/**
 * What a route answers: a status, a body to write as JSON, and extra headers.
 *
 * @param body the body, serialised as JSON; {@code null} for none
 */
record Response(int status, Object body, Map<String, String> headers) {
  Response {
    headers = Map.copyOf(headers);
  }

  static Response ok(Object body) {
    return new Response(200, body, Map.of());
  }

  /** 201 Created, pointing at the new resource. */
  static Response created(String location, Object body) {
    return new Response(201, body, Map.of("Location", location));
  }

  /** 202 Accepted: the work goes on asynchronously; {@code location} shows how it goes. */
  static Response accepted(String location, Object body) {
    return new Response(202, body, Map.of("Location", location));
  }
}
