package io.cqrs.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection and channel that messages are published on: one confirm-mode channel at a time on
 * the bus's publishing connection, replaced by a fresh one when it was closed (by a channel error,
 * or a connection not yet recovered), each with the {@link ConfirmTracker} of what it has not had
 * confirmed. The publishers above see only whether it can be used now, a wait for that, {@link
 * #transmit}, and whether it was closed; which connection and channel carry a message is decided
 * here alone.
 *
 * <p>Thread-safe: any thread transmits, holding a lock only to pair a sequence number with its
 * {@code basic.publish} (the lock also guards replacing the channel). Acks, nacks, returns and the
 * channel's shutdown arrive on the connection's I/O thread and go straight to the tracker.
 */
final class PublishChannel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PublishChannel.class);

  private final BrokerConnection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private Channel channel; // guarded by lock
  private ConfirmTracker confirms; // guarded by lock; the confirms of channel
  private volatile boolean closed;

  PublishChannel(BrokerConnection connection) {
    this.connection = connection;
  }

  /** The broker as {@code host:port/vhost}. */
  String broker() {
    return connection.broker();
  }

  /** The connection's name, for thread names. */
  String name() {
    return connection.name();
  }

  /** Whether the connection is open, recovered and not blocked by the broker. */
  boolean isUsable() {
    return connection.isUsable();
  }

  /** What the connection is doing, for exception messages. */
  String condition() {
    return connection.condition();
  }

  /**
   * Waits until the connection is usable.
   *
   * @param timeout the call's timeout, for the exception
   * @throws BrokerUnavailableException as {@link PublishErrors#unavailable} when {@code
   *     deadlineNanos} passes first, or if the thread is interrupted
   * @throws IllegalStateException if the connection was closed
   */
  void awaitUsable(long deadlineNanos, Duration timeout) {
    try {
      connection.awaitUsable(deadlineNanos);
    } catch (BrokerUnavailableException e) {
      if (e.getCause() instanceof InterruptedException) {
        throw e;
      }
      throw PublishErrors.unavailable(this, timeout);
    }
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * @throws IllegalStateException if it was closed
   */
  void ensureOpen() {
    if (closed) {
      throw PublishErrors.closed();
    }
  }

  /**
   * Publishes the message, persistent and mandatory, with the channel's next sequence number in its
   * headers (so that a return finds it), and tracks it until the broker confirms it. A message that
   * cannot be handed over is settled as lost at once.
   *
   * @return whether it was handed over: {@code false} if the channel or connection is down, in
   *     which case the caller stops sending until the connection has recovered
   * @throws RuntimeException anything else that went wrong, after settling the message as lost
   */
  boolean transmit(PendingMessage pending) {
    lock.lock();
    try {
      ConfirmTracker tracker = confirms();
      long seq = channel.getNextPublishSeqNo();
      Object generation = tracker.add(seq, pending);
      OutboundMessage message = pending.message;
      channel.basicPublish(
          message.exchange(),
          message.routingKey(),
          true,
          message.propertiesWithSeq(seq),
          message.body());
      if (tracker.lostSince(generation)) {
        // The channel went down while we published: its pending messages were failed already.
        pending.settle(PendingMessage.Outcome.LOST);
      }
      return true;
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Publishing failed; will publish again after recovery", e);
      pending.settle(PendingMessage.Outcome.LOST);
      return false;
    } catch (BrokerUnavailableException e) {
      pending.settle(PendingMessage.Outcome.LOST);
      return false;
    } catch (RuntimeException e) {
      pending.settle(PendingMessage.Outcome.LOST); // releases its window permit
      throw e;
    } finally {
      lock.unlock();
    }
  }

  /** The current channel's confirms, on a new channel if the old one was closed. Under lock. */
  private ConfirmTracker confirms() throws IOException {
    if (channel != null && channel.isOpen()) {
      return confirms;
    }
    if (channel != null) {
      // Closed by a channel error, or not yet recovered: a fresh channel replaces it.
      confirms.lost(channel.getCloseReason());
      channel.abort();
    }
    Channel opened = connection.createChannel();
    ConfirmTracker tracker = new ConfirmTracker();
    opened.confirmSelect();
    opened.addConfirmListener(tracker::acked, tracker::nacked);
    opened.addReturnListener(tracker::returned);
    opened.addShutdownListener(tracker::lost);
    channel = opened;
    confirms = tracker;
    return tracker;
  }

  /**
   * Closes for good: later calls see {@link #isClosed()}, and the channel is aborted, so that the
   * messages still awaiting confirms are settled as lost.
   */
  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      if (channel != null) {
        channel.abort();
        confirms.lost(channel.getCloseReason());
      }
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Aborting the publishing channel failed", e);
    } finally {
      lock.unlock();
    }
  }
}
