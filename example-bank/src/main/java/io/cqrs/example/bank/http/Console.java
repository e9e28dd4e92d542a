package io.cqrs.example.bank.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import java.util.Map;

/**
 * The web console: static HTML, CSS and plain JavaScript from the class path ({@value #DIRECTORY}),
 * served at {@value #PATH}, which calls the same JSON API as any client with the user's HTTP Basic
 * credentials. Nothing is built at run time and nothing is fetched from elsewhere.
 *
 * <p>What it asks of the API, set here for every response: a content security policy that allows
 * scripts, styles and requests from this origin only (no inline script, no framing), so text from
 * the read models can never run as code even if a page wrote it as markup; {@code nosniff}; no
 * referrer. API reads revalidate with ETags ({@code Cache-Control: private, no-cache} and {@code
 * Vary: Authorization}): the console polls the read models every second and an unchanged list costs
 * a 304 without a body.
 */
final class Console {
  /** Where the console is served. */
  static final String PATH = "/console";

  /** Where its files are on the class path. */
  static final String DIRECTORY = "/io/cqrs/example/bank/console";

  /** The request header the console's requests carry (see {@link #challenge}). */
  static final String REQUESTED_WITH = "X-Requested-With";

  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private static final Map<String, String> SECURITY_HEADERS =
      Map.of(
          "Content-Security-Policy", CONTENT_SECURITY_POLICY,
          "X-Content-Type-Options", "nosniff",
          "Referrer-Policy", "no-referrer",
          "X-Frame-Options", "DENY");

  private Console() {}

  /** Serves the console's files and sets the headers above on every response. */
  static void serve(JavalinConfig config) {
    config.http.generateEtags = true;
    config.staticFiles.add(
        files -> {
          files.hostedPath = PATH;
          files.directory = DIRECTORY;
          files.location = Location.CLASSPATH;
          files.headers = Map.of("Cache-Control", "no-cache");
        });
    config.routes.before(Console::headers);
    config.routes.get("/", ctx -> ctx.redirect(PATH + "/", HttpStatus.FOUND));
  }

  private static void headers(Context ctx) {
    SECURITY_HEADERS.forEach(ctx::header);
    if (!ctx.path().startsWith(PATH)) {
      // What a user may read differs by user: a shared cache must neither keep it nor hand one
      // user's copy to another; a browser revalidates its copy (an ETag, 304) before using it.
      ctx.header("Cache-Control", "private, no-cache");
      ctx.header("Vary", "Authorization");
    }
  }

  /**
   * The {@code WWW-Authenticate} challenge of a 401: HTTP Basic for API clients; for the console's
   * own requests (which carry {@value #REQUESTED_WITH}) a scheme browsers do not know, so that a
   * wrong secret is reported by the console's page instead of a browser dialog it cannot control.
   */
  static String challenge(Context ctx) {
    String scheme = ctx.header(REQUESTED_WITH) == null ? "Basic" : "Console";
    return scheme + " realm=\"bank\", charset=\"UTF-8\"";
  }
}
