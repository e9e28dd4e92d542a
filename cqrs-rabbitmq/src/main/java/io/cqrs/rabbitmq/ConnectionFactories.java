package io.cqrs.rabbitmq;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.ConnectionFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * Builds the {@link ConnectionFactory} a bus connects with, from an AMQP URI or a caller's factory.
 *
 * <p>Error messages never repeat the URI, since it usually holds a password.
 */
final class ConnectionFactories {
  private static final int AMQPS_PORT = 5671;

  private ConnectionFactories() {}

  /**
   * A factory for {@code amqp://} or {@code amqps://} URIs. Unlike the client's own {@code setUri},
   * which trusts every certificate for {@code amqps}, TLS here verifies the server's certificate
   * against the JVM's default trust store and checks its host name; callers who need other trust
   * material pass their own factory.
   */
  static ConnectionFactory fromUri(String amqpUri) {
    return parse(amqpUri, "amqpUri").factory();
  }

  /**
   * A factory for several {@code amqp://} or {@code amqps://} URIs naming the nodes of one cluster,
   * with the node of each URI as an address. Every URI must agree with the first on scheme, user,
   * password and virtual host: a bus uses one set of credentials and one virtual host on every
   * node.
   *
   * @throws IllegalArgumentException naming the URI's index (never the URI) if one is malformed or
   *     disagrees with the first
   */
  static Parsed fromUris(List<String> amqpUris) {
    Objects.requireNonNull(amqpUris, "amqpUris");
    if (amqpUris.isEmpty()) {
      throw new IllegalArgumentException("amqpUris must hold at least one URI");
    }
    Parsed first = parse(amqpUris.get(0), "amqpUris[0]");
    List<Address> nodes = new ArrayList<>(first.nodes());
    for (int i = 1; i < amqpUris.size(); i++) {
      Parsed next = parse(amqpUris.get(i), "amqpUris[" + i + "]");
      if (!next.sameAccount(first)) {
        throw new IllegalArgumentException(
            "amqpUris["
                + i
                + "] differs from amqpUris[0] in its scheme, user, password or virtual host: every"
                + " node of one bus is reached with the same ones");
      }
      nodes.addAll(next.nodes());
    }
    return new Parsed(first.factory(), List.copyOf(nodes), first.tls());
  }

  /**
   * Several URIs in one string, separated by commas, as an environment variable or a command-line
   * option holds them ({@code amqp://u:p@node1:5672/vh,amqp://u:p@node2:5672/vh}): the string is
   * split before each {@code amqp://} or {@code amqps://}, so a comma in a password needs no
   * escaping. One URI is the common case of this.
   */
  static List<String> splitUris(String amqpUris) {
    Objects.requireNonNull(amqpUris, "amqpUris");
    List<String> uris = new ArrayList<>();
    for (String part : amqpUris.split(",(?=\\s*(?i:amqps?)://)")) {
      uris.add(part.strip());
    }
    return uris;
  }

  /** A URI's factory and node. */
  record Parsed(ConnectionFactory factory, List<Address> nodes, boolean tls) {
    boolean sameAccount(Parsed other) {
      ConnectionFactory a = factory;
      ConnectionFactory b = other.factory;
      return tls == other.tls
          && a.getUsername().equals(b.getUsername())
          && a.getPassword().equals(b.getPassword())
          && a.getVirtualHost().equals(b.getVirtualHost());
    }
  }

  private static Parsed parse(String amqpUri, String setting) {
    Objects.requireNonNull(amqpUri, setting);
    URI uri;
    try {
      uri = new URI(amqpUri.strip());
    } catch (URISyntaxException e) {
      // The cause's message quotes the input, password included: leave it out.
      throw new IllegalArgumentException(setting + " is not a valid URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
      throw new IllegalArgumentException(
          setting + " must start with amqp:// or amqps://, was '" + scheme + "'");
    }
    if (uri.getHost() == null) {
      // java.net.URI leaves the host out when the authority is not host[:port] with a numeric
      // port: the client library would then silently connect to localhost.
      throw new IllegalArgumentException(
          setting
              + " has no valid host and port (amqp://user:password@host:port/vhost; a host name has"
              + " letters, digits, '-' and '.', no '_'; the port is a number)");
    }
    boolean tls = scheme.equals("amqps");
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(tls ? "amqp" + amqpUri.strip().substring("amqps".length()) : amqpUri.strip());
    } catch (URISyntaxException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          setting + " is not a valid AMQP URI (amqp://user:password@host:port/vhost)");
    }
    if (tls) {
      useVerifiedTls(factory, uri.getPort() == -1);
    }
    return new Parsed(factory, List.of(new Address(factory.getHost(), factory.getPort())), tls);
  }

  /**
   * A copy of the caller's factory, with automatic connection and topology recovery on and the
   * bus's connection settings (see {@link ConnectionSettings#applyTo}).
   */
  static ConnectionFactory recovering(ConnectionFactory template, ConnectionSettings connection) {
    ConnectionFactory factory = template.clone();
    factory.setAutomaticRecoveryEnabled(true);
    factory.setTopologyRecoveryEnabled(true);
    factory.setTopologyRecoveryFilter(new ConsumersOnlyRecovery());
    connection.applyTo(factory);
    return factory;
  }

  /** The broker a factory connects to, as {@code host:port/vhost}: never the credentials. */
  static String describe(ConnectionFactory factory) {
    return factory.getHost() + ":" + factory.getPort() + "/" + factory.getVirtualHost();
  }

  private static void useVerifiedTls(ConnectionFactory factory, boolean defaultPort) {
    if (defaultPort) {
      factory.setPort(AMQPS_PORT);
    }
    try {
      factory.useSslProtocol(SSLContext.getDefault());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("The JVM has no default TLS context for amqps", e);
    }
    factory.enableHostnameVerification();
  }
}
