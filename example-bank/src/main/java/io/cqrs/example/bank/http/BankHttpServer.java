package io.cqrs.example.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cqrs.example.bank.Bank;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bank's HTTP JSON API on the JDK's own {@link HttpServer}.
 *
 * <pre>
 * GET  /health                    200 {"status":"ok", commandBus, eventBus, processors}; 503
 * GET  /metrics                   200 the metrics in the Prometheus text format
 * POST /accounts                  201 {firstName, lastName, email, password, initialBalance?}
 * GET  /accounts                  200 every account (read model)
 * GET  /accounts/{id}             200 the account (write model)
 * GET  /accounts/{id}/history     200 its events, oldest first
 * POST /accounts/{id}/credit      200 {amount}
 * POST /accounts/{id}/debit       200 {amount}; 409 insufficient_funds
 * POST /accounts/{id}/email       200 {email}
 * POST /accounts/{id}/password    200 {password}
 * POST /accounts/{id}/close       200; 409 account_not_empty
 * POST /transfers                 202 {fromAccountId, toAccountId, amount}; poll its Location
 * GET  /transfers                 200 every transfer (read model)
 * GET  /transfers/{id}            200 the transfer (write model)
 * </pre>
 *
 * <p>Errors are {@code {"error": code, "message": reason}}: 400 for malformed or invalid input, 404
 * for unknown accounts, transfers and paths, 405 for a wrong method, 409 for refusals by the bank's
 * rules, 413 for a body over 64 KiB, 503 when conflicts outlast the retries. {@code /health} is a
 * readiness check: 503 while a bus is not consuming with every listener (see {@link
 * io.cqrs.spi.BusHealth}) or an event processor has stopped on a failure. Any number of instances
 * can serve the same bank: they share nothing but the store and the buses.
 */
public final class BankHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BankHttpServer.class);
  private static final int MAX_BODY_BYTES = 64 * 1024;
  private static final int THREADS = 8;

  private final HttpServer server;
  private final ExecutorService executor;
  private final Router router;
  private final ObjectMapper mapper = ApiJson.mapper();

  private BankHttpServer(HttpServer server, ExecutorService executor, Bank bank) {
    this.server = server;
    this.executor = executor;
    this.router = new BankApi(bank, mapper).router();
  }

  /**
   * Starts serving {@code bank} on {@code host}:{@code port}.
   *
   * @param port the port, or 0 for any free one (see {@link #port()})
   * @throws IOException if the address cannot be bound
   */
  public static BankHttpServer start(Bank bank, String host, int port) throws IOException {
    return start(bank, host, port, () -> "");
  }

  /**
   * Starts serving {@code bank} on {@code host}:{@code port}, and {@code GET /metrics} with the
   * text {@code metrics} gives (a Prometheus registry's scrape).
   *
   * @param port the port, or 0 for any free one (see {@link #port()})
   * @throws IOException if the address cannot be bound
   */
  public static BankHttpServer start(Bank bank, String host, int port, Supplier<String> metrics)
      throws IOException {
    Objects.requireNonNull(bank, "bank");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            THREADS,
            task -> {
              Thread thread = new Thread(task, "bank-http-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    BankHttpServer api = new BankHttpServer(server, executor, bank);
    server.setExecutor(executor);
    server.createContext("/", api::handle);
    server.createContext("/metrics", MetricsEndpoint.route(metrics));
    server.start();
    log.info("Bank API listening on {}", api.uri());
    return api;
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The server's base URI, such as {@code http://127.0.0.1:8080/}. */
  public URI uri() {
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getHostString() + ":" + address.getPort() + "/");
  }

  private void handle(HttpExchange exchange) throws IOException {
    Response response;
    try {
      byte[] body = readBody(exchange.getRequestBody());
      response =
          router.route(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), body);
    } catch (Exception e) {
      response = ErrorMapping.toResponse(e);
    }
    write(exchange, response);
  }

  private static byte[] readBody(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
    if (body.length > MAX_BODY_BYTES) {
      throw new ApiException(
          413, "too_large", "The request body exceeds " + MAX_BODY_BYTES + " bytes");
    }
    return body;
  }

  private void write(HttpExchange exchange, Response response) throws IOException {
    try (exchange) {
      byte[] json =
          response.body() == null ? new byte[0] : mapper.writeValueAsBytes(response.body());
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      response.headers().forEach(exchange.getResponseHeaders()::set);
      exchange.sendResponseHeaders(response.status(), json.length == 0 ? -1 : json.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(json);
      }
    }
  }

  /** Stops taking requests, lets running ones finish for up to a second, and releases threads. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
