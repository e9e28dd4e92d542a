package io.cqrs.example.bank;

import io.cqrs.example.bank.http.BankHttpServer;
import picocli.CommandLine.Option;

/**
 * The options of {@code serve}'s HTTP server (a picocli mixin): where it listens. A new HTTP
 * setting (authentication, request timeouts) is one more field here, and reaches {@code serve}
 * through {@link BankOptions#http()}.
 */
final class HttpOptions {
  static final String DEFAULT_HOST = "127.0.0.1";
  static final int DEFAULT_PORT = 8080;

  @Option(
      names = "--host",
      defaultValue = DEFAULT_HOST,
      description = "The address to bind (default: ${DEFAULT-VALUE}).")
  String host = DEFAULT_HOST;

  @Option(
      names = "--port",
      converter = OptionConverters.Port.class,
      defaultValue = "" + DEFAULT_PORT,
      description = "The port, 0 for any free one (default: ${DEFAULT-VALUE}).")
  int port = DEFAULT_PORT;

  @Option(
      names = "--max-connections",
      converter = OptionConverters.MaxConnections.class,
      defaultValue = "" + BankHttpServer.Limits.MAX_CONNECTIONS,
      description =
          "HTTP connections open at once, 1 to 100000; more wait to be accepted (default:"
              + " ${DEFAULT-VALUE}). Each takes a file descriptor.")
  int maxConnections = BankHttpServer.Limits.MAX_CONNECTIONS;

  /** The address to bind. */
  String host() {
    return host;
  }

  /** The port; 0 for any free one. */
  int port() {
    return port;
  }

  /** How many connections may be open at once. */
  int maxConnections() {
    return maxConnections;
  }
}
