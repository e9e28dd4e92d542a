package io.cqrs.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
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
    Objects.requireNonNull(amqpUri, "amqpUri");
    URI uri;
    try {
      uri = new URI(amqpUri);
    } catch (URISyntaxException e) {
      // The cause's message quotes the input, password included: leave it out.
      throw new IllegalArgumentException("amqpUri is not a valid URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
      throw new IllegalArgumentException(
          "amqpUri must start with amqp:// or amqps://, was '" + scheme + "'");
    }
    boolean tls = scheme.equals("amqps");
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(tls ? "amqp" + amqpUri.substring("amqps".length()) : amqpUri);
    } catch (URISyntaxException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "amqpUri is not a valid AMQP URI (amqp://user:password@host:port/vhost)");
    }
    if (tls) {
      useVerifiedTls(factory, uri.getPort() == -1);
    }
    return factory;
  }

  /** A copy of the caller's factory with automatic connection and topology recovery on. */
  static ConnectionFactory recovering(ConnectionFactory template, Duration recoveryInterval) {
    ConnectionFactory factory = template.clone();
    factory.setAutomaticRecoveryEnabled(true);
    factory.setTopologyRecoveryEnabled(true);
    if (recoveryInterval != null) {
      factory.setNetworkRecoveryInterval(recoveryInterval.toMillis());
    }
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
