package io.cqrs.example.bank.spring;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Closes the connection of a request {@link RequestGate} refused without reading what is left of
 * its body. After a response, Tomcat reads ("swallows") the rest of an unread body on the request
 * thread before it takes the next request, at whatever pace the client sends it, up to 2 MiB; an
 * answer with {@code Connection: close} does not stop it. A slow client refused 408 or 503 would so
 * keep its thread for as long as the body that the refusal was meant to spare it.
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
      if (request.getAttribute(RequestGate.REFUSED) != null) {
        request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
      }
    }
  }
}
