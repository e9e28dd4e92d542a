package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.spi.BusHealth;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One automatically recovering AMQP connection of a bus, with what the bus needs around it: whether
 * it can be used right now (open, not recovering, not blocked by a resource alarm), a way to wait
 * for that with a deadline, and a long-lived channel for declarations.
 *
 * <p>Thread-safe. Only host, port and virtual host are ever logged.
 */
final class BrokerConnection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BrokerConnection.class);
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final int CLOSE_TIMEOUT_MILLIS = 10_000;

  private final Connection connection;
  private final String broker;
  private final String name;
  private final ConnectionStatus status;
  private final ReentrantLock stateLock = new ReentrantLock();
  private final Condition stateChanged = stateLock.newCondition();
  private volatile boolean recovering;
  private volatile String blockedReason;
  private volatile boolean closed;
  private final Object topologyLock = new Object();
  private final Map<String, Declaration> declarations = new LinkedHashMap<>();
  private Channel topologyChannel;

  private BrokerConnection(
      Connection connection, String broker, String name, ConnectionStatus status) {
    this.connection = connection;
    this.broker = broker;
    this.name = name;
    this.status = status;
  }

  /**
   * Opens a connection named {@code name} (shown by the broker's management tools) to the first of
   * {@code addresses} that takes it; recovery later tries every one of them again.
   *
   * <p>A broker that takes the TCP connection but does not answer the AMQP handshake within the
   * factory's handshake timeout (the client waits half of it, 5 s by default, for the broker's
   * first frame) is busy, not gone: a RabbitMQ starved of CPU has been seen to take 7 to 8 s to
   * take on a new connection while serving its open ones. Such a handshake is tried again, on a new
   * connection, until {@code deadlineNanos}. When every node refuses or cannot be reached, opening
   * fails at once.
   *
   * @param deadlineNanos a {@link System#nanoTime()} deadline for handshakes that time out
   * @throws BrokerUnavailableException if no node can be reached, or none answers a handshake
   *     before the deadline
   * @throws NonTransientCqrsException if the broker refuses the credentials
   */
  static BrokerConnection open(
      ConnectionFactory factory, BrokerAddresses addresses, String name, long deadlineNanos) {
    String broker = addresses.describe();
    ConnectionStatus status = new ConnectionStatus(name, broker);
    ConnectionFactory own = factory.clone();
    own.setExceptionHandler(status.reporting(factory.getExceptionHandler()));
    AddressResolver resolver = addresses.forConnection();
    Connection connection = null;
    for (int attempt = 1; connection == null; attempt++) {
      try {
        connection = own.newConnection(null, resolver, name);
      } catch (AuthenticationFailureException e) {
        // Neither user name nor password goes into the message.
        throw new NonTransientCqrsException(
            "RabbitMQ at " + broker + " refused the credentials of connection '" + name + "'", e);
      } catch (TimeoutException e) {
        if (deadlineNanos - System.nanoTime() <= 0) {
          throw new BrokerUnavailableException(
              broker,
              "cannot open connection '"
                  + name
                  + "': no answer to its handshake in "
                  + attempt
                  + " attempt(s)",
              e);
        }
        log.warn(
            "RabbitMQ at {} did not answer the handshake of connection '{}' within {} ms"
                + " (attempt {}); trying again",
            broker,
            name,
            own.getHandshakeTimeout(),
            attempt);
      } catch (IOException e) {
        String refusal = refusal(e);
        if (refusal != null) {
          throw new NonTransientCqrsException(
              "RabbitMQ at "
                  + broker
                  + " refused connection '"
                  + name
                  + "': "
                  + refusal
                  + " (does the virtual host exist, and may the user use it?)",
              e);
        }
        throw new BrokerUnavailableException(
            broker, "cannot open connection '" + name + "': no node took it (last: " + e + ")", e);
      }
    }
    BrokerConnection opened = new BrokerConnection(connection, broker, name, status);
    status.connected(ConnectionStatus.node(connection));
    opened.listen();
    log.info("Opened connection '{}' to node {}", name, status.node());
    return opened;
  }

  /**
   * The broker's reason when it closed a connection during its opening for good: a virtual host
   * that does not exist ({@code NOT_ALLOWED - vhost … not found}) or that the user may not use
   * ({@code ACCESS_REFUSED}). Null for anything a retry may cure, such as the other {@code
   * NOT_ALLOWED} answers (a virtual host that is down while its node recovers, a connection limit
   * reached).
   */
  static String refusal(Throwable failure) {
    for (Throwable e = failure; e != null; e = e.getCause()) {
      if (e instanceof ShutdownSignalException signal
          && signal.getReason() instanceof AMQP.Connection.Close close
          && (close.getReplyCode() == AMQP.ACCESS_REFUSED
              || (close.getReplyCode() == AMQP.NOT_ALLOWED
                  && String.valueOf(close.getReplyText()).contains("not found")))) {
        return close.getReplyText();
      }
    }
    return null;
  }

  private void listen() {
    connection.addShutdownListener(this::lost);
    connection.addBlockedListener(this::blocked, this::unblocked);
    ((Recoverable) connection)
        .addRecoveryListener(
            new RecoveryListener() {
              @Override
              public void handleRecovery(Recoverable recoverable) {
                if (!connection.isOpen()) {
                  return; // the new connection died during recovery: still down, and timed so
                }
                status.recovered(ConnectionStatus.node(connection));
                recovering = false;
                signal();
              }

              @Override
              public void handleRecoveryStarted(Recoverable recoverable) {
                recovering = true;
                status.down(); // in case the loss itself was not reported
              }
            });
  }

  /** The broker blocks publishing on this connection (a memory or disk alarm). */
  void blocked(String reason) {
    log.warn("Broker {} blocks connection '{}': {}", status.node(), name, reason);
    blockedReason = reason;
  }

  /** The broker unblocked it (and, for tests, the instant before a block is reported). */
  void unblocked() {
    log.info("Broker {} unblocked connection '{}'", status.node(), name);
    blockedReason = null;
    signal();
  }

  private void lost(ShutdownSignalException cause) {
    if (cause.isInitiatedByApplication()) {
      return;
    }
    // A block is the dead connection's: no unblock will ever come for it, and a recovered one
    // starts unblocked (the broker blocks it again at its first publish if the alarm lasts).
    // Kept, it stopped publishing for good while health said the connection was up.
    blockedReason = null;
    recovering = true;
    Throwable driver = cause.getCause();
    status.lost(Failures.reply(cause) + (driver == null ? "" : " (" + driver + ")"));
  }

  private void signal() {
    stateLock.lock();
    try {
      stateChanged.signalAll();
    } finally {
      stateLock.unlock();
    }
  }

  /** The broker as {@code host:port/vhost}. */
  String broker() {
    return broker;
  }

  /** The connection's name, as the broker's tools show it. */
  String name() {
    return name;
  }

  /** The underlying connection, for channels. */
  Connection connection() {
    return connection;
  }

  /** What the connection is doing now, for health reports. */
  BusHealth.Connection state() {
    return status.snapshot(!closed && !recovering && connection.isOpen());
  }

  /** How long the connection has been down, in nanoseconds; 0 while it is up. */
  long downForNanos() {
    return status.downForNanos();
  }

  /** Whether the connection is open, recovered and not blocked by the broker. */
  boolean isUsable() {
    return !closed && !recovering && blockedReason == null && connection.isOpen();
  }

  /**
   * Waits until the connection is usable.
   *
   * @param deadlineNanos a {@link System#nanoTime()} deadline
   * @throws BrokerUnavailableException when the deadline passes first
   * @throws IllegalStateException if the connection was closed
   */
  void awaitUsable(long deadlineNanos) {
    if (isUsable()) {
      return;
    }
    stateLock.lock();
    try {
      while (!isUsable()) {
        if (closed) {
          throw new IllegalStateException("The connection '" + name + "' is closed");
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          throw new BrokerUnavailableException(broker, condition(), null);
        }
        // Re-checked every RECHECK_NANOS as well: isOpen() changes without a signal.
        stateChanged.awaitNanos(Math.min(left, RECHECK_NANOS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnavailableException(broker, "interrupted while waiting for it", e);
    } finally {
      stateLock.unlock();
    }
  }

  /**
   * Why the connection is not usable, or what it is doing if it is: blocked by the broker, down
   * since when and why, or up on which node. For the exceptions that report an unavailable broker.
   */
  String condition() {
    String blocked = blockedReason;
    if (blocked != null) {
      return "the broker blocks publishing on connection '" + name + "' (" + blocked + ")";
    }
    return status.condition();
  }

  /** A new channel. */
  Channel createChannel() {
    try {
      Channel channel = connection.createChannel();
      if (channel == null) {
        throw new NonTransientCqrsException("No free channel on connection '" + name + "'");
      }
      return channel;
    } catch (IOException | AlreadyClosedException e) {
      throw new BrokerUnavailableException(broker, "cannot open a channel", e);
    }
  }

  /**
   * Declares exchanges, queues and bindings, in order, on the topology channel.
   *
   * @throws NonTransientCqrsException if the broker refuses one (for example an existing queue with
   *     other arguments, or an exchange type whose plugin is not enabled)
   * @throws BrokerUnavailableException if the connection fails
   */
  void declare(List<Declaration> wanted, long deadlineNanos) {
    awaitUsable(deadlineNanos);
    synchronized (topologyLock) {
      for (Declaration declaration : wanted) {
        Channel channel = topologyChannel();
        try {
          declaration.action().run(channel);
        } catch (IOException | ShutdownSignalException e) {
          throw Failures.declarationFailed(declaration, broker, e);
        }
        declarations.put(declaration.key(), declaration);
      }
    }
  }

  /** The declarations made so far, oldest first. */
  List<Declaration> declarations() {
    synchronized (topologyLock) {
      return new ArrayList<>(declarations.values());
    }
  }

  private Channel topologyChannel() {
    if (topologyChannel == null || !topologyChannel.isOpen()) {
      // None yet, or closed by a refused declaration. Recovery declares no exchanges, queues or
      // bindings again (see ConsumersOnlyRecovery), so nothing needs repeating on the new one.
      topologyChannel = createChannel();
    }
    return topologyChannel;
  }

  /**
   * Closes a channel, or aborts it if it is already down or closing fails; never throws. Either way
   * the client forgets the channel, so that connection recovery does not bring it back.
   */
  static void closeQuietly(Channel channel) {
    try {
      if (channel.isOpen()) {
        channel.close();
        return;
      }
    } catch (IOException | TimeoutException | ShutdownSignalException e) {
      log.debug("Closing a channel failed; aborting it", e);
    }
    try {
      channel.abort();
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Aborting a channel failed", e);
    }
  }

  /** Closes the connection and every channel on it; waits up to ten seconds, then aborts. */
  @Override
  public void close() {
    closed = true;
    signal();
    try {
      connection.close(CLOSE_TIMEOUT_MILLIS);
    } catch (IOException | AlreadyClosedException e) {
      log.debug("Closing connection '{}' to {} failed; aborting it", name, broker, e);
      connection.abort(CLOSE_TIMEOUT_MILLIS);
    }
  }
}
