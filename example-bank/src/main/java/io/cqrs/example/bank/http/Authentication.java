package io.cqrs.example.bank.http;

import io.cqrs.example.bank.http.ApiUsers.User;
import io.javalin.http.Context;
import java.util.Map;

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
    return users
        .authenticate(RequestHeaders.single(ctx, "Authorization"), ctx.ip())
        .orElseThrow(
            () ->
                new ApiException(
                    401,
                    "unauthorized",
                    "Sign in with HTTP Basic authentication",
                    null,
                    Map.of("WWW-Authenticate", Console.challenge(ctx))));
  }

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
   * checks refuse (429, 503) are no administrator's either: such a route answers as it would
   * anyone, since its own answer ({@code /ready}'s) must not depend on them.
   */
  boolean isAdmin(Context ctx) {
    if (RequestHeaders.single(ctx, "Authorization") == null) {
      return false;
    }
    try {
      return users
          .authenticate(RequestHeaders.single(ctx, "Authorization"), ctx.ip())
          .map(User::admin)
          .orElse(false);
    } catch (ApiException refused) {
      return false;
    }
  }
}
