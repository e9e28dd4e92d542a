package io.cqrs.example.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.example.bank.Bank;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bank's HTTP JSON API, on Javalin (Jetty 12).
 *
 * <pre>
 * GET  /health                    200 {"status":"up"}: the process answers (liveness)
 * GET  /ready                     200 ready; 503 not ready, with the reasons (readiness)
 * GET  /metrics                   200 the metrics in the Prometheus text format
 * POST /accounts                  201 {firstName, lastName, email, password, initialBalance?}
 * GET  /accounts                  200 {items, unreadable}: the user's accounts (read model)
 * GET  /accounts/{id}             200 the account (read model)
 * GET  /accounts/{id}/history     200 {items, next}: a page of its events after ?after=<version>
 * POST /accounts/{id}/credit      200 {amount}
 * POST /accounts/{id}/debit       200 {amount}; 409 insufficient_funds
 * POST /accounts/{id}/email       200 {email}
 * POST /accounts/{id}/password    200 {password}
 * POST /accounts/{id}/close       200; 409 account_not_empty
 * POST /transfers                 202 {fromAccountId, toAccountId, amount}; poll its Location
 * GET  /transfers                 200 {items, unreadable}: the user's transfers (read model)
 * GET  /transfers/{id}            200 the transfer (read model)
 * GET  /commands/{id}             200 a command's status: pending, succeeded, rejected
 * GET  /admin/dead-letters        200 {queues, processors}: dead letters (administrators)
 * POST /admin/dead-letters/queues/{bus}/{name}/replay   200 {replayed}: a queue's, back to it
 * POST /admin/dead-letters/processors/{id}/replay       200; 409 replay_failed: one event again
 * GET  /                          302 to the web console
 * GET  /console/                  the web console (static HTML, CSS and JavaScript; {@link Console})
 * </pre>
 *
 * <p>With commands on RabbitMQ every command answers 202 Accepted with its status resource as
 * {@code Location} (see {@link BankApi}). Every route but {@code /health}, {@code /ready} and
 * {@code /metrics} needs HTTP Basic credentials of an {@link ApiUsers} user (401 without, 403 on
 * another user's account; the {@code /admin} routes need an administrator, see {@link
 * DeadLetterApi}). {@code HEAD} of any {@code GET} route answers what the {@code GET} would, status
 * and headers, without the body ({@link HeadRequests}). Every error is an RFC 9457 problem ({@link
 * Problem}) naming the field at fault where there is one, those Jetty answers itself included
 * ({@link JettyProblems}). A request that may change state must be JSON or carry {@code
 * X-Requested-With}, which no form of another site can send ({@link CrossSiteRequests}).
 *
 * <p>Hostile clients ({@link Limits}): a body is at most {@link #MAX_BODY_BYTES}; Jetty reads
 * headers without a request thread; a connection silent for the idle timeout is closed, and so is
 * one whose request's headers or body take longer than their deadlines however it paces the bytes
 * ({@link RequestDeadlines}); beyond the connection limit new connections wait to be accepted.
 */
public final class BankHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BankHttpServer.class);

  /** The Prometheus text exposition format's content type, of {@code GET /metrics}. */
  public static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The largest request body taken; a larger one is answered 413. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  private static final int MAX_HEADER_BYTES = 8 * 1024;

  private final Javalin app;
  private final AutoCloseable routes;

  private BankHttpServer(Javalin app, AutoCloseable routes) {
    this.app = app;
    this.routes = routes;
  }

  /**
   * How the server runs.
   *
   * @param host the address to bind
   * @param port the port, or 0 for any free one
   * @param users who may call the API
   * @param metrics the text of {@code GET /metrics} (a Prometheus registry's scrape)
   * @param commandsOverBus whether commands go over the bus and answer 202 (RabbitMQ), rather than
   *     run in the request (an in-process bus)
   * @param limits what one client may take of the server
   */
  public record Settings(
      String host,
      int port,
      ApiUsers users,
      Supplier<String> metrics,
      boolean commandsOverBus,
      Limits limits) {
    public Settings {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(users, "users");
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(limits, "limits");
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
      }
    }

    /** Settings with no metrics, commands run in the request, and the default limits. */
    public static Settings of(String host, int port, ApiUsers users) {
      return new Settings(host, port, users, () -> "", false, Limits.DEFAULT);
    }

    /** These settings with {@code metrics} as the text of {@code GET /metrics}. */
    public Settings withMetrics(Supplier<String> metrics) {
      return new Settings(host, port, users, metrics, commandsOverBus, limits);
    }

    /** These settings with commands sent over the bus (202 Accepted) or run in the request. */
    public Settings withCommandsOverBus(boolean overBus) {
      return new Settings(host, port, users, metrics, overBus, limits);
    }

    /** These settings with other limits. */
    public Settings withLimits(Limits limits) {
      return new Settings(host, port, users, metrics, commandsOverBus, limits);
    }
  }

  /**
   * What one client may take of the server, whatever pace it keeps its bytes at. The idle timeout
   * alone does not bound a request, since every byte resets it: the header and body timeouts do
   * ({@link RequestDeadlines}).
   *
   * @param idleTimeout how long a connection may stay silent, mid-request or between requests
   * @param headerTimeout how long a request's headers may take to arrive in full, from their first
   *     byte (a new connection's first request: from the connection's opening). Reading headers
   *     holds no request thread, but holds a connection
   * @param bodyTimeout how long a request's body may take to arrive in full, from the server's
   *     starting to read it, which it does after authentication; reading holds a request thread
   * @param maxConnections how many connections may be open at once; further ones wait in the
   *     operating system's queue of unaccepted connections (refused once that is full) until one
   *     closes. Each takes a file descriptor: keep it well under the process's limit, which the JVM
   *     raises to the hard one ({@code ulimit -Hn}) on Linux
   */
  public record Limits(
      Duration idleTimeout, Duration headerTimeout, Duration bodyTimeout, int maxConnections) {
    /** The default {@link #maxConnections}. */
    public static final int MAX_CONNECTIONS = 1_000;

    /**
     * The defaults: silent at most 30 s, headers (at most 8 KiB) within 20 s, a body (at most 64
     * KiB) within 30 s, {@value #MAX_CONNECTIONS} connections.
     */
    public static final Limits DEFAULT =
        new Limits(
            Duration.ofSeconds(30),
            Duration.ofSeconds(20),
            Duration.ofSeconds(30),
            MAX_CONNECTIONS);

    public Limits {
      positive(idleTimeout, "idleTimeout");
      positive(headerTimeout, "headerTimeout");
      positive(bodyTimeout, "bodyTimeout");
      if (maxConnections < 1) {
        throw new IllegalArgumentException(
            "maxConnections must be at least 1, was " + maxConnections);
      }
    }

    private static void positive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.toMillis() < 1) {
        throw new IllegalArgumentException(
            name + " must be at least a millisecond, was " + timeout);
      }
    }

    /** These limits with another idle timeout. */
    public Limits withIdleTimeout(Duration timeout) {
      return new Limits(timeout, headerTimeout, bodyTimeout, maxConnections);
    }

    /** These limits with another header timeout. */
    public Limits withHeaderTimeout(Duration timeout) {
      return new Limits(idleTimeout, timeout, bodyTimeout, maxConnections);
    }

    /** These limits with another body timeout. */
    public Limits withBodyTimeout(Duration timeout) {
      return new Limits(idleTimeout, headerTimeout, timeout, maxConnections);
    }

    /** These limits with another connection limit. */
    public Limits withMaxConnections(int max) {
      return new Limits(idleTimeout, headerTimeout, bodyTimeout, max);
    }
  }

  /**
   * Starts serving {@code bank}.
   *
   * @throws IllegalStateException if the address cannot be bound
   */
  public static BankHttpServer start(Bank bank, Settings settings) {
    Objects.requireNonNull(bank, "bank");
    Objects.requireNonNull(settings, "settings");
    ObjectMapper mapper = ApiJson.mapper();
    BankApi api = new BankApi(bank, mapper, settings.users(), !settings.commandsOverBus());
    Javalin app =
        Javalin.create(
            config -> {
              common(config, settings, mapper);
              config.routes.beforeMatched(CrossSiteRequests::check);
              Console.serve(config);
              api.routes(config.routes);
              new DeadLetterApi(bank, new Authentication(settings.users())).routes(config.routes);
              config.routes.get("/metrics", ctx -> metrics(ctx, settings.metrics()));
            });
    app.start();
    BankHttpServer server = new BankHttpServer(app, api);
    log.info("Bank API listening on {}", server.uri());
    return server;
  }

  /**
   * Starts the endpoints an operator needs from a process that serves no API (a worker): {@code GET
   * /health}, {@code GET /ready} and {@code GET /metrics}, unauthenticated, with the same
   * protection against slow clients.
   */
  public static BankHttpServer startOperations(
      Bank bank, String host, int port, Supplier<String> metrics) {
    Settings settings = new Settings(host, port, ApiUsers.none(), metrics, true, Limits.DEFAULT);
    ObjectMapper mapper = ApiJson.mapper();
    Readiness readiness = new Readiness(bank);
    Javalin app =
        Javalin.create(
            config -> {
              common(config, settings, mapper);
              config.routes.get("/health", ctx -> ctx.json(java.util.Map.of("status", "up")));
              config.routes.get(
                  "/ready",
                  ctx -> {
                    Readiness.Report report = readiness.check();
                    ctx.status(report.ready() ? 200 : 503).json(report);
                  });
              config.routes.get("/metrics", ctx -> metrics(ctx, metrics));
            });
    app.start();
    return new BankHttpServer(app, readiness);
  }

  private static void common(JavalinConfig config, Settings settings, ObjectMapper mapper) {
    config.startup.showJavalinBanner = false;
    config.startup.showOldJavalinVersionWarning = false;
    config.jsonMapper(new JavalinJackson(mapper, false));
    config.http.maxRequestSize = MAX_BODY_BYTES;
    config.http.prefer405over404 = true;
    config.http.defaultContentType = "application/json";
    config.jetty.host = settings.host();
    config.jetty.port = settings.port();
    Limits limits = settings.limits();
    RequestDeadlines deadlines = new RequestDeadlines(limits.headerTimeout(), limits.bodyTimeout());
    config.jetty.modifyServer(
        server -> {
          server.setErrorHandler(new JettyProblems());
          // Javalin puts its own handler inside the innermost of these, so they see every request
          // first: the deadlines, then HEAD turned into GET.
          deadlines.setHandler(new HeadRequests());
          server.setHandler(deadlines);
        });
    config.jetty.modifyHttpConfiguration(
        http -> {
          http.setSendServerVersion(false);
          http.setRequestHeaderSize(MAX_HEADER_BYTES);
          http.setIdleTimeout(limits.idleTimeout().toMillis());
        });
    // The one connector, so that its idle timeout, connection limit and deadlines are ours.
    config.jetty.addConnector(
        (server, http) -> {
          ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
          connector.setHost(settings.host());
          connector.setPort(settings.port());
          connector.setIdleTimeout(limits.idleTimeout().toMillis());
          // At the limit Jetty stops accepting: the next connections wait in the backlog.
          connector.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
          connector.addEventListener(deadlines.connections());
          return connector;
        });
    config.routes.exception(Exception.class, (e, ctx) -> problem(ctx, ErrorMapping.of(e)));
    // Javalin answers its own (a body over the limit) unless told otherwise for this very type.
    config.routes.exception(
        HttpResponseException.class, (e, ctx) -> problem(ctx, ErrorMapping.of(e)));
    config.routes.error(404, ctx -> unlessProblem(ctx, 404, "not_found", "No such path"));
    config.routes.error(
        413,
        ctx ->
            unlessProblem(
                ctx, 413, "too_large", "The request body exceeds " + MAX_BODY_BYTES + " bytes"));
    config.routes.error(
        405,
        ctx ->
            problem(
                ctx,
                new ErrorMapping.Failure(
                    405, "method_not_allowed", ctx.method() + " is not allowed on this path")));
  }

  /** Answers a problem for a status Javalin or Jetty set, unless a route answered one already. */
  private static void unlessProblem(Context ctx, int status, String code, String detail) {
    String type = ctx.res().getContentType();
    if (type != null && type.startsWith(Problem.CONTENT_TYPE)) {
      return;
    }
    problem(ctx, new ErrorMapping.Failure(status, code, detail));
  }

  private static void metrics(Context ctx, Supplier<String> metrics) {
    ctx.contentType(METRICS_CONTENT_TYPE).result(metrics.get());
  }

  static void problem(Context ctx, ErrorMapping.Failure failure) {
    failure.headers().forEach(ctx::header);
    ctx.status(failure.status())
        .contentType(Problem.CONTENT_TYPE)
        .result(
            ApiJson.problemBytes(
                Problem.of(
                    failure.status(),
                    failure.code(),
                    failure.detail(),
                    ctx.path(),
                    failure.field())));
  }

  /** The port the server listens on. */
  public int port() {
    return app.port();
  }

  /** The server's base URI, such as {@code http://127.0.0.1:8080/}. */
  public URI uri() {
    String host = app.unsafe.jetty.host;
    return URI.create("http://" + (host == null ? "127.0.0.1" : host) + ":" + port() + "/");
  }

  /** Stops taking requests and lets running ones finish. */
  @Override
  public void close() {
    app.stop();
    try {
      routes.close();
    } catch (Exception e) {
      log.warn("Could not release the API's resources", e);
    }
  }
}
