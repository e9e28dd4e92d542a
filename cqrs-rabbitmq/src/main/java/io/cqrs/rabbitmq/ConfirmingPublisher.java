package io.cqrs.rabbitmq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes persistent, mandatory messages with publisher confirms, with at most {@code window}
 * messages unconfirmed at a time: the entry point of a bus's publishing, its blocking {@link
 * #publish}, and its closing. The parts, each described where it lives:
 *
 * <ul>
 *   <li>{@link PublishChannel}: the connection and confirm-mode channel messages go out on;
 *   <li>{@link ConfirmTracker} and {@link PendingMessage}: which messages a channel has not had
 *       confirmed, and how each ended (confirmed, returned, lost);
 *   <li>{@link PublishRound} and {@link Permits}: one sending of a call's messages, bounded by the
 *       confirm window, and what must be sent again after it;
 *   <li>{@link AsyncPublisher} and {@link AsyncPublication}: {@link #publishAsync}, its republisher
 *       thread and deadlines;
 *   <li>{@link PublishErrors}: what a failed publication throws.
 * </ul>
 *
 * <p>A message whose fate is unknown because the connection or channel went down (or that the
 * broker nacked) is published again once the connection has recovered, until the call's deadline:
 * delivery is at least once. Serialization happens before, on the caller's thread; confirms, nacks
 * and returns only settle messages, on the connection's I/O thread.
 *
 * <p>Thread-safe.
 */
final class ConfirmingPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfirmingPublisher.class);

  private final PublishChannel channel;
  private final Permits window;
  private final AsyncPublisher async;
  private final Duration drainTimeout;
  private final int maxBodyBytes;
  private volatile boolean closing; // no new calls; those in flight may finish

  /**
   * @param maxBodyBytes the largest body a message may have ({@link
   *     RabbitBusBuilder#maxMessageBytes}); a larger one is refused before anything is sent
   */
  ConfirmingPublisher(
      BrokerConnection connection, int window, Duration drainTimeout, int maxBodyBytes) {
    this.channel = new PublishChannel(connection);
    Supplier<BrokerUnavailableException> exhausted =
        () -> PublishErrors.unavailable(channel, drainTimeout);
    this.window = new Permits(window, connection.broker(), exhausted);
    this.async = new AsyncPublisher(channel, this.window, window, exhausted);
    this.drainTimeout = drainTimeout;
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * Publishes the messages and returns when the broker has confirmed every one of them. The calling
   * thread sends, waits for window permits, for the connection to recover and for the confirms.
   *
   * @return the messages the broker could not route (confirmed, but delivered to no queue)
   * @throws BrokerUnavailableException if the connection is not back, or the confirms are not in,
   *     within {@code timeout}
   * @throws io.cqrs.NonTransientCqrsException if the broker closed the channel over a message (an
   *     exchange that does not exist, say)
   * @throws IllegalArgumentException if a message is beyond what AMQP can carry ({@link
   *     MessageLimits}): a short string too long or a body over the bus's maximum is found before
   *     anything is sent, content headers larger than the connection's {@code frame_max} when that
   *     message's turn comes
   * @throws IllegalStateException if the publisher is closed
   */
  List<Returned> publish(List<OutboundMessage> messages, Duration timeout) {
    return publish(messages, timeout, maxBodyBytes);
  }

  /**
   * {@link #publish}, for the framework's copies of messages the broker already took (retries, dead
   * letters, their replays): their bodies are not held to the bus's maximum, which may have been
   * lowered since, or be another process's, so that one large letter never blocks a replay.
   */
  List<Returned> publishCopies(List<OutboundMessage> messages, Duration timeout) {
    return publish(messages, timeout, Integer.MAX_VALUE);
  }

  private List<Returned> publish(
      List<OutboundMessage> messages, Duration timeout, int maxBodyBytes) {
    ensureAccepting();
    MessageLimits.check(messages, maxBodyBytes);
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Returned> returned = new ArrayList<>(0);
    List<OutboundMessage> remaining = messages;
    while (!remaining.isEmpty()) {
      channel.ensureOpen();
      channel.awaitUsable(deadline, timeout);
      WaitingRound round = new WaitingRound(remaining, window);
      round.send(deadline, channel::transmit);
      await(round, deadline, timeout);
      List<OutboundMessage> again = round.collect(returned);
      PublishErrors.failIfRefused(channel.broker(), round.refusal(), again.size());
      if (!again.isEmpty()) {
        if (System.nanoTime() - deadline >= 0) {
          // Not sent in time (the channel held by a write the broker holds back): a connection
          // that is up must not make this loop spin past the deadline.
          throw PublishErrors.unavailable(channel, timeout);
        }
        log.debug("Publishing {} unconfirmed messages again", again.size());
      }
      remaining = again;
    }
    return returned;
  }

  /** Waits until every message the round sent is settled. */
  private void await(WaitingRound round, long deadline, Duration timeout) {
    try {
      if (!round.await(deadline)) {
        throw PublishErrors.unavailable(channel, timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw PublishErrors.interrupted(channel.broker(), e);
    }
  }

  /**
   * Publishes the messages without waiting for the broker: the returned future completes with the
   * messages the broker could not route once every message is confirmed, or fails with what {@link
   * #publish} would have thrown. The calling thread sends what it can at once and waits only while
   * the confirm window is full (back-pressure, bounded by {@code timeout}); if the connection is
   * down, or messages are lost on the way, a publisher thread sends them again after recovery,
   * until {@code timeout} has passed. The future completes on {@code completions}, never on the
   * connection's I/O thread. A message whose content headers are larger than the connection's
   * {@code frame_max} fails the future with {@link IllegalArgumentException}.
   *
   * @throws IllegalArgumentException if a short string of a message is too long, or its body over
   *     the bus's maximum ({@link MessageLimits}); nothing is sent
   * @throws IllegalStateException if the publisher is closed
   */
  CompletableFuture<List<Returned>> publishAsync(
      List<OutboundMessage> messages, Duration timeout, Executor completions) {
    ensureAccepting();
    MessageLimits.check(messages, maxBodyBytes);
    return async.publish(messages, timeout, completions);
  }

  private void ensureAccepting() {
    if (closing || channel.isClosed()) {
      throw PublishErrors.closed();
    }
  }

  /**
   * Closes: new calls are refused at once; asynchronous publications in flight are waited for up to
   * the drain timeout while the broker is reachable; then the channel is aborted, and what is still
   * unconfirmed fails.
   */
  @Override
  public void close() {
    closing = true;
    async.drain(drainTimeout);
    channel.close();
    async.shutdown();
  }
}
