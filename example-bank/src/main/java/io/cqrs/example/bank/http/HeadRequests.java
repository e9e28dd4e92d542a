package io.cqrs.example.bank.http;

import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Answers {@code HEAD} as {@code GET} is answered, without the body: the application is handed the
 * request as a {@code GET}, and Jetty, which still knows it for a {@code HEAD} (it decides from the
 * request as its connection parsed it), writes the status and headers and drops the body. This is
 * what a servlet's {@code doHead} does: it runs {@code doGet} and discards what it writes.
 *
 * <p>Javalin on its own answers the {@code HEAD} of a {@code GET} route 200 without running the
 * route, with the default content type and no body: {@code HEAD /metrics} said {@code
 * application/json}, {@code HEAD /ready} of an instance that was not ready said 200, and {@code
 * HEAD /accounts} without credentials said 200. Through this handler every route, the console's
 * files included, gives {@code HEAD} the status and headers of {@code GET} (content type, length,
 * {@code ETag}, a 304 for a matching {@code If-None-Match}, a 401 without credentials), at the cost
 * of making the body it drops. No route of the API handles {@code HEAD} itself, nor may one: it
 * would never see it.
 */
final class HeadRequests extends Handler.Wrapper {

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    return super.handle(
        HttpMethod.HEAD.is(request.getMethod()) ? new AsGet(request) : request, response, callback);
  }

  /** A {@code HEAD} request that tells the handlers it wraps that it is a {@code GET}. */
  private static final class AsGet extends Request.Wrapper {
    AsGet(Request request) {
      super(request);
    }

    @Override
    public String getMethod() {
      return HttpMethod.GET.asString();
    }
  }
}
