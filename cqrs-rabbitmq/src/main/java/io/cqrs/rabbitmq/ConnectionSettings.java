package io.cqrs.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.time.Duration;

/**
 * How a bus's connections notice a dead or hung node and find another: the heartbeat, the timeouts
 * of a new connection, and the wait between attempts to recover.
 *
 * <p>The defaults notice a node that is gone or hung within about 15 s: a closed socket at once, a
 * node that stopped answering after two missed heartbeats (10 to 12.5 s at 5 s); the first attempt
 * to recover follows after the recovery interval and tries every node of the bus.
 *
 * @param heartbeat the heartbeat interval asked of the broker, or {@code null} for the default
 * @param connectionTimeout how long opening a TCP connection may take, or {@code null}
 * @param handshakeTimeout how long the AMQP handshake may take, or {@code null}
 * @param recoveryInterval the wait before each attempt to recover, or {@code null}
 */
record ConnectionSettings(
    Duration heartbeat,
    Duration connectionTimeout,
    Duration handshakeTimeout,
    Duration recoveryInterval) {
  static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
  static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(2);

  // amqp-client's own defaults: a caller's factory that still has them gets the bus's instead.
  private static final int CLIENT_HEARTBEAT_SECONDS = ConnectionFactory.DEFAULT_HEARTBEAT;
  private static final int CLIENT_CONNECTION_TIMEOUT = ConnectionFactory.DEFAULT_CONNECTION_TIMEOUT;
  private static final int CLIENT_HANDSHAKE_TIMEOUT = ConnectionFactory.DEFAULT_HANDSHAKE_TIMEOUT;
  private static final long CLIENT_RECOVERY_INTERVAL = 5000;

  /**
   * Applies the settings to {@code factory}: a setting given on the builder always; otherwise the
   * bus's default, unless the caller's factory was changed from amqp-client's default for it, in
   * which case the caller's value stays.
   */
  void applyTo(ConnectionFactory factory) {
    if (heartbeat != null || factory.getRequestedHeartbeat() == CLIENT_HEARTBEAT_SECONDS) {
      factory.setRequestedHeartbeat(
          Math.toIntExact(orDefault(heartbeat, DEFAULT_HEARTBEAT).toSeconds()));
    }
    if (connectionTimeout != null || factory.getConnectionTimeout() == CLIENT_CONNECTION_TIMEOUT) {
      factory.setConnectionTimeout(
          millis(orDefault(connectionTimeout, DEFAULT_CONNECTION_TIMEOUT)));
    }
    if (handshakeTimeout != null || factory.getHandshakeTimeout() == CLIENT_HANDSHAKE_TIMEOUT) {
      factory.setHandshakeTimeout(millis(orDefault(handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT)));
    }
    if (recoveryInterval != null
        || factory.getNetworkRecoveryInterval() == CLIENT_RECOVERY_INTERVAL) {
      factory.setNetworkRecoveryInterval(
          orDefault(recoveryInterval, DEFAULT_RECOVERY_INTERVAL).toMillis());
    }
  }

  private static Duration orDefault(Duration value, Duration fallback) {
    return value == null ? fallback : value;
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }
}
