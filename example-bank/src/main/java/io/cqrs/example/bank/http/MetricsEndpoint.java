package io.cqrs.example.bank.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} in the Prometheus text format: a route of {@link BankHttpServer}, and on its
 * own port for a worker, which serves no API. Takes no request body and answers only GET and HEAD.
 */
public final class MetricsEndpoint implements HttpHandler, AutoCloseable {
  /** The Prometheus text exposition format's content type. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

  private final Supplier<String> scrape;
  private final HttpServer server; // null: a route of another server
  private final ExecutorService executor; // null: a route of another server

  private MetricsEndpoint(Supplier<String> scrape, HttpServer server, ExecutorService executor) {
    this.scrape = scrape;
    this.server = server;
    this.executor = executor;
  }

  /** The handler of {@code /metrics} for another server; {@code scrape} gives the text. */
  static MetricsEndpoint route(Supplier<String> scrape) {
    return new MetricsEndpoint(Objects.requireNonNull(scrape, "scrape"), null, null);
  }

  /**
   * Serves {@code /metrics} alone on {@code host}:{@code port} (0: any free port), on one daemon
   * thread: a scrape is rare and quick.
   *
   * @throws IOException if the address cannot be bound
   */
  public static MetricsEndpoint start(String host, int port, Supplier<String> scrape)
      throws IOException {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(scrape, "scrape");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread thread = new Thread(task, "bank-metrics");
              thread.setDaemon(true);
              return thread;
            });
    MetricsEndpoint endpoint = new MetricsEndpoint(scrape, server, executor);
    server.createContext("/metrics", endpoint);
    server.createContext("/", MetricsEndpoint::notFound);
    server.setExecutor(executor);
    server.start();
    log.info("Metrics on {}", endpoint.uri());
    return endpoint;
  }

  /** Where the metrics are, such as {@code http://127.0.0.1:9090/metrics}. */
  public URI uri() {
    if (server == null) {
      throw new IllegalStateException("a route of another server");
    }
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getHostString() + ":" + address.getPort() + "/metrics");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals("/metrics")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] text = scrape.get().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, text.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(text);
      }
    }
  }

  private static void notFound(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.sendResponseHeaders(404, -1);
    }
  }

  /** Stops a server started by {@link #start}; nothing for a route. */
  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
