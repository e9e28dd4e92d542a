package io.cqrs.example.bank.http;

import io.cqrs.example.bank.http.ApiUsers.User;
import io.javalin.http.Context;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Request;

/**
 * Who sent a request: its HTTP Basic credentials checked against the {@link ApiUsers}, for every
 * group of routes that needs a user or an administrator.
 */
final class Authentication {
  private final ApiUsers users;

  Authentication(ApiUsers users) {
    this.users = users;
  }

  /**
   * The request's user; 401 without valid credentials, with a Basic challenge (the console's own
   * requests get one browsers do not answer with a dialog: {@link Console#challenge}).
   */
  User user(Context ctx) {
    User user =
        users
            .authenticate(RequestHeaders.single(ctx, "Authorization"), ctx.ip())
            .orElseThrow(
                () ->
                    new ApiException(
                        401,
                        "unauthorized",
                        "Sign in with HTTP Basic authentication",
                        null,
                        Map.of("WWW-Authenticate", Console.challenge(ctx))));
    takePlace(ctx, user);
    return user;
  }

  /**
   * Takes one of the user's places of requests handled at once ({@link
   * ApiUsers#MAX_REQUESTS_PER_USER}) for this request, given back once Jetty has written its
   * response or given up on it; 429 if all are taken. Without it one customer's bodies sent a byte
   * at a time held 247 of Jetty's 250 request threads (each for up to the body deadline, and
   * again), and every other user's requests, {@code /health} included, waited.
   *
   * <p>Not when the route returns: Javalin writes the response after the route and its after
   * handlers, on the same request thread, and a client that reads nothing keeps that thread in the
   * write until the idle timeout. Given back then, the places bounded nothing for such a client.
   * Jetty's completion of the exchange comes once, when the last byte is written or when the write
   * fails (the client gone, the idle timeout), so no place is lost either way.
   */
  private void takePlace(Context ctx, User user) {
    if (ctx.attribute(PLACE) != null) {
      return; // taken by an earlier check of this request
    }
    Semaphore places = users.requestPlaces(user);
    if (!places.tryAcquire()) {
      throw new ApiException(
          429,
          "too_many_requests",
          "At most "
              + ApiUsers.MAX_REQUESTS_PER_USER
              + " of a user's requests are handled at once; retry once one is answered",
          null,
          Map.of("Retry-After", "1"));
    }
    try {
      Request.addCompletionListener(
          ServletContextRequest.getServletContextRequest(ctx.req()), failure -> places.release());
    } catch (RuntimeException | Error e) {
      places.release();
      throw e;
    }
    ctx.attribute(PLACE, Boolean.TRUE);
  }

  /** The request attribute that says this request took a place. */
  private static final String PLACE = "bank.requestPlace";

  /** The request's user if an administrator: 401 without valid credentials, 403 for a customer. */
  User admin(Context ctx) {
    User user = user(ctx);
    if (!user.admin()) {
      throw new ApiException(403, "forbidden", "Only an administrator may do this");
    }
    return user;
  }

  /**
   * Whether the request carries an administrator's valid credentials, without a 401: for routes
   * open to anyone that show an administrator more. Credentials the sign-in throttle or the busy
   * checks refuse (429, 503), and an {@code Authorization} header given more than once (which
   * {@link #user} refuses with a 400), are no administrator's either: such a route answers as it
   * would anyone, since its own answer ({@code /ready}'s) must not depend on them.
   */
  boolean isAdmin(Context ctx) {
    try {
      String authorization = RequestHeaders.single(ctx, "Authorization");
      return authorization != null
          && users.authenticate(authorization, ctx.ip()).map(User::admin).orElse(false);
    } catch (ApiException refused) {
      return false;
    }
  }
}
