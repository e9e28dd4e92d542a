package io.cqrs.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.ExceptionHandler;
import com.rabbitmq.client.TopologyRecoveryException;
import com.rabbitmq.client.impl.DefaultExceptionHandler;
import io.cqrs.spi.BusHealth;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one connection of a bus has been through, for {@code health()} and the logs: the node it
 * reached (the one it actually reached, not the configured list), since when it has been down, how
 * many attempts to recover have failed, and the last error.
 *
 * <p>Logging: a loss once, at WARN, naming the node; failed attempts to recover at WARN, the first
 * one and then at most one line every {@link #REPEAT_WARNING} (each naming the nodes tried, the
 * attempts so far and the last error); the recovery once, at INFO, naming the node it reached. The
 * client library itself logs nothing about a refused reconnection.
 *
 * <p>Thread-safe: the connection's I/O and recovery threads report, any thread reads.
 */
final class ConnectionStatus {
  private static final Logger log = LoggerFactory.getLogger(ConnectionStatus.class);
  static final Duration REPEAT_WARNING = Duration.ofSeconds(30);

  private final String name;
  private final String nodes;
  private String node; // guarded by this
  private Instant downSince; // guarded by this
  private long downSinceNanos; // guarded by this
  private int failedAttempts; // guarded by this
  private String lastError; // guarded by this
  private long lastWarningNanos; // guarded by this

  /**
   * @param name the connection's name
   * @param nodes the nodes it may connect to, as {@link BrokerAddresses#describe()} gives them
   */
  ConnectionStatus(String name, String nodes) {
    this.name = name;
    this.nodes = nodes;
  }

  /** The node a connection is connected to, as {@code host:port}. */
  static String node(Connection connection) {
    InetAddress address = connection.getAddress();
    String host = address == null ? "?" : address.getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + connection.getPort();
  }

  synchronized void connected(String reached) {
    node = reached;
  }

  synchronized String node() {
    return node;
  }

  /** The connection was lost (not closed by the bus); recovery starts. */
  void lost(String why) {
    String was;
    synchronized (this) {
      down();
      lastError = why;
      was = node;
    }
    log.warn(
        "Connection '{}' to node {} lost, reconnecting to any of {}: {}", name, was, nodes, why);
  }

  /** The connection is down from now, unless it was already. */
  synchronized void down() {
    if (downSince == null) {
      downSince = Instant.now();
      downSinceNanos = System.nanoTime();
      failedAttempts = 0;
    }
  }

  /** An attempt to recover failed; logged the first time and then every {@link #REPEAT_WARNING}. */
  void attemptFailed(Throwable failure) {
    int attempts;
    Duration down;
    synchronized (this) {
      failedAttempts++;
      lastError = failure.toString();
      attempts = failedAttempts;
      long now = System.nanoTime();
      boolean first = attempts == 1;
      if (!first && now - lastWarningNanos < REPEAT_WARNING.toNanos()) {
        return;
      }
      lastWarningNanos = now;
      down = Duration.ofNanos(now - (downSince == null ? now : downSinceNanos));
    }
    log.warn(
        "Connection '{}' still down after {} and {} failed attempt(s) to reach any of {}: {};"
            + " trying again",
        name,
        round(down),
        attempts,
        nodes,
        failure.toString());
  }

  /** The connection recovered, on {@code reached}. */
  void recovered(String reached) {
    Duration down;
    int attempts;
    synchronized (this) {
      node = reached;
      down =
          downSince == null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - downSinceNanos);
      attempts = failedAttempts;
      downSince = null;
      failedAttempts = 0;
    }
    log.info(
        "Connection '{}' recovered on node {} after {} ({} failed attempt(s))",
        name,
        reached,
        round(down),
        attempts);
  }

  /** How long the connection has been down, in nanoseconds; 0 while it is up. */
  synchronized long downForNanos() {
    return downSince == null ? 0 : System.nanoTime() - downSinceNanos;
  }

  /** Whether it is down, since when and why, or up on which node: for exception messages. */
  synchronized String condition() {
    if (downSince == null) {
      return "connection '"
          + name
          + "' to node "
          + node
          + " is up, but the broker did not answer in time (overloaded, or a queue without a"
          + " leader)";
    }
    return "connection '"
        + name
        + "' has been down since "
        + downSince
        + " ("
        + failedAttempts
        + " failed attempt(s) to reconnect to any of "
        + nodes
        + "; last error: "
        + lastError
        + ")";
  }

  /** A snapshot for {@code health()}. */
  synchronized BusHealth.Connection snapshot(boolean connected) {
    return new BusHealth.Connection(
        name,
        node,
        connected,
        connected ? null : (downSince == null ? Instant.now() : downSince),
        failedAttempts,
        lastError);
  }

  private static String round(Duration duration) {
    return TimeUnit.NANOSECONDS.toMillis(duration.toNanos()) / 100 / 10.0 + " s";
  }

  /**
   * An exception handler for the connection that reports failed attempts to recover here, and hands
   * everything else to the caller's handler. The client library's default handler is not given the
   * recovery failures: it would print a stack trace for each (or nothing at all for a refused
   * connection); this logs them rate-limited instead.
   */
  ExceptionHandler reporting(ExceptionHandler callers) {
    boolean quiet = callers == null || callers.getClass() == DefaultExceptionHandler.class;
    ExceptionHandler delegate = callers == null ? new DefaultExceptionHandler() : callers;
    return new ExceptionHandler() {
      @Override
      public void handleConnectionRecoveryException(Connection conn, Throwable exception) {
        attemptFailed(exception);
        if (!quiet) {
          delegate.handleConnectionRecoveryException(conn, exception);
        }
      }

      @Override
      public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
        // The connection is shut down after this, which logs the loss with its node and cause.
        if (!quiet) {
          delegate.handleUnexpectedConnectionDriverException(conn, exception);
        }
      }

      @Override
      public void handleReturnListenerException(Channel channel, Throwable exception) {
        delegate.handleReturnListenerException(channel, exception);
      }

      @Override
      public void handleConfirmListenerException(Channel channel, Throwable exception) {
        delegate.handleConfirmListenerException(channel, exception);
      }

      @Override
      public void handleBlockedListenerException(Connection connection, Throwable exception) {
        delegate.handleBlockedListenerException(connection, exception);
      }

      @Override
      public void handleConsumerException(
          Channel channel,
          Throwable exception,
          Consumer consumer,
          String consumerTag,
          String methodName) {
        delegate.handleConsumerException(channel, exception, consumer, consumerTag, methodName);
      }

      @Override
      public void handleChannelRecoveryException(Channel ch, Throwable exception) {
        delegate.handleChannelRecoveryException(ch, exception);
      }

      @Override
      public void handleTopologyRecoveryException(
          Connection conn, Channel ch, TopologyRecoveryException exception) {
        delegate.handleTopologyRecoveryException(conn, ch, exception);
      }
    };
  }
}
