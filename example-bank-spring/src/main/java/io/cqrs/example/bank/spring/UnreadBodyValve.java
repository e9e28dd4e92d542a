package io.cqrs.example.bank.spring;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Closes the connection of a refused request without reading what is left of its body: one answered
 * 400 or more with its body not read to its end, whether {@link RequestGate} refused it or Tomcat
 * did (a {@code TRACE} or a path with {@code %2F}, which never reach the filter). After a response,
 * Tomcat reads ("swallows") the rest of an unread body on the request thread before it takes the
 * next request, at whatever pace the client sends it, up to {@code server.tomcat.max-swallow-size};
 * an answer with {@code Connection: close} does not stop it. A slow client refused 408 or 503 would
 * so keep its thread for as long as the body that the refusal was meant to spare it. ({@code
 * server.tomcat.max-swallow-size=0} is the backstop for what this valve does not see: a body with a
 * {@code Content-Length} is then never swallowed.)
 */
final class UnreadBodyValve extends ValveBase {
  UnreadBodyValve() {
    super(true); // asynchronous requests pass through unchanged
  }

  @Override
  public void invoke(Request request, Response response) throws IOException, ServletException {
    try {
      getNext().invoke(request, response);
    } finally {
      if (refusedUnread(request, response)) {
        request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
      }
    }
  }

  /** Whether the answer is a refusal and the request's body was not read to its end. */
  private static boolean refusedUnread(Request request, Response response) {
    if (response.getStatus() < 400) {
      return false;
    }
    org.apache.coyote.Request coyote = request.getCoyoteRequest();
    long length;
    try {
      length = coyote.getContentLengthLong();
    } catch (IllegalArgumentException malformed) {
      // Two Content-Length headers, or one that is not a number: refused already (400), and its
      // body's end unknown. Thrown here, it reached Tomcat's log with a stack trace per request.
      return true;
    }
    return length > coyote.getBytesRead()
        || (length < 0 && coyote.getMimeHeaders().getHeader("Transfer-Encoding") != null);
  }
}
