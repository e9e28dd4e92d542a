package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.UnpublishableMessageException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection and channel that messages are published on: one confirm-mode channel at a time on
 * the bus's publishing connection, replaced by a fresh one when it was closed (by a channel error,
 * or a connection not yet recovered) or its numbering was lost (the client refused a message it had
 * already counted), each with the {@link ConfirmTracker} of what it has not had confirmed. The
 * publishers above see only whether it can be used now, a wait for that, {@link #transmit}, and
 * whether it was closed; which connection and channel carry a message is decided here alone.
 *
 * <p>Thread-safe: any thread transmits, holding a lock only to pair a sequence number with its
 * {@code basic.publish} (the lock also guards replacing the channel). Acks, nacks, returns and the
 * channel's shutdown arrive on the connection's I/O thread and go straight to the tracker.
 */
final class PublishChannel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PublishChannel.class);

  /** How long {@link #close()} waits for a publish in progress to leave the channel. */
  private static final Duration CLOSE_LOCK_WAIT = Duration.ofSeconds(5);

  private final BrokerConnection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private Channel channel; // guarded by lock
  // Written under lock; volatile so that close() can settle its messages without the lock.
  private volatile ConfirmTracker confirms; // the confirms of channel
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
   * @throws IllegalArgumentException if the message's content headers do not fit in the
   *     connection's {@code frame_max} ({@link MessageLimits}), or the client refuses to encode it
   * @throws RuntimeException anything else that went wrong, after settling the message as lost
   */
  boolean transmit(PendingMessage pending, long deadlineNanos) {
    // Bounded: a thread whose socket write the broker holds back (a resource alarm that began after
    // its check) keeps the lock until the block lifts; the others wait for it only until their
    // deadline, and their calls then fail as for a connection that did not come back in time.
    try {
      if (!lock.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        pending.settle(PendingMessage.Outcome.LOST);
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pending.settle(PendingMessage.Outcome.LOST);
      return false;
    }
    try {
      ConfirmTracker tracker = confirms();
      long seq = channel.getNextPublishSeqNo();
      OutboundMessage message = pending.message;
      AMQP.BasicProperties properties = message.propertiesWithSeq(seq);
      MessageLimits.checkHeaderFrame(message, properties, channel.getConnection().getFrameMax());
      Object generation = tracker.add(seq, pending);
      publish(message, properties);
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

  /**
   * Hands the message to the channel. Under lock. The client counts it in the channel's publish
   * sequence before it encodes it; if it then refuses it (anything but a failed write, which closes
   * the connection), nothing was sent, the broker's delivery tags now lag one behind this channel's
   * numbers, and every later confirm would settle the wrong message. So the channel is given up:
   * its unconfirmed messages are settled as lost (their calls publish them again), and the next
   * message opens a fresh channel, numbered from 1 again.
   */
  private void publish(OutboundMessage message, AMQP.BasicProperties properties)
      throws IOException {
    try {
      channel.basicPublish(
          message.exchange(), message.routingKey(), true, properties, message.body());
    } catch (ShutdownSignalException e) {
      throw e;
    } catch (RuntimeException e) {
      log.warn(
          "The AMQP client refused to send a message ({}); replacing the publishing channel, whose"
              + " sequence numbers no longer match the broker's, and publishing its unconfirmed"
              + " messages again",
          e.toString());
      Channel refused = channel;
      ConfirmTracker lost = confirms;
      channel = null;
      confirms = null;
      lost.lost(null);
      abortQuietly(refused);
      if (e instanceof IllegalArgumentException && !(e instanceof UnpublishableMessageException)) {
        // What the client cannot encode (a header value of a type AMQP has not) it never will.
        throw new UnpublishableMessageException(
            "The AMQP client cannot encode " + MessageLimits.what(message) + ": " + e.getMessage(),
            e);
      }
      throw e;
    }
  }

  private static void abortQuietly(Channel channel) {
    try {
      channel.abort();
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Aborting the publishing channel failed", e);
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
    try {
      if (!lock.tryLock(CLOSE_LOCK_WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
        // A publish is stuck writing to a broker that holds the socket back (a resource alarm).
        // Its channel cannot be aborted without waiting for the same socket, but the messages
        // awaiting confirms are settled as lost now (ConfirmTracker.lost is thread-safe), so no
        // call waits for them past the close; the stuck write itself ends only when the broker
        // reads again or the socket fails.
        log.warn(
            "A publish is still writing to {} after {}; closing without waiting for it",
            broker(),
            CLOSE_LOCK_WAIT);
        ConfirmTracker stuck = confirms;
        if (stuck != null) {
          stuck.lost(null);
        }
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
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
