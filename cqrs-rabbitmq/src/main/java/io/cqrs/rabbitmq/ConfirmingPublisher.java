package io.cqrs.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.NonTransientCqrsException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes persistent, mandatory messages on one confirm-mode channel and waits for the broker's
 * confirms asynchronously, with at most {@code window} messages unconfirmed at a time.
 *
 * <p>Confirms, nacks and returns arrive on the connection's I/O thread and only complete futures
 * there; serialization happens before, on the caller's thread. A message whose fate is unknown
 * because the connection or channel went down (or that the broker nacked) is published again once
 * the connection has recovered, until the call's deadline: delivery is at least once.
 *
 * <p>Thread-safe: callers share the channel, holding a lock only to pair a sequence number with its
 * {@code basic.publish}.
 */
final class ConfirmingPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfirmingPublisher.class);

  /** How one publication ended. */
  private enum Outcome {
    CONFIRMED,
    RETURNED,
    LOST
  }

  private final BrokerConnection connection;
  private final Semaphore window;
  private final ReentrantLock lock = new ReentrantLock();
  private Confirms current; // guarded by lock
  private volatile ShutdownSignalException refusal;
  private volatile boolean closed;

  ConfirmingPublisher(BrokerConnection connection, int window) {
    this.connection = connection;
    this.window = new Semaphore(window);
  }

  /**
   * Publishes the messages and returns when the broker has confirmed every one of them.
   *
   * @return the messages the broker could not route (confirmed, but delivered to no queue)
   * @throws BrokerUnavailableException if the connection is not back, or the confirms are not in,
   *     within {@code timeout}
   * @throws io.cqrs.NonTransientCqrsException if the broker closed the channel over a message (an
   *     exchange that does not exist, say)
   * @throws IllegalStateException if the publisher is closed
   */
  List<Returned> publish(List<OutboundMessage> messages, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Returned> returned = new ArrayList<>(0);
    List<OutboundMessage> remaining = messages;
    while (!remaining.isEmpty()) {
      ensureOpen();
      connection.awaitUsable(deadline);
      refusal = null;
      List<Pending> sent = send(remaining, deadline);
      List<OutboundMessage> again = new ArrayList<>(0);
      for (Pending pending : sent) {
        switch (await(pending, deadline, timeout)) {
          case CONFIRMED -> {}
          case RETURNED -> returned.add(pending.returned);
          case LOST -> again.add(pending.message);
        }
      }
      again.addAll(remaining.subList(sent.size(), remaining.size()));
      failIfRefused(again);
      if (!again.isEmpty()) {
        log.debug("Publishing {} unconfirmed messages again", again.size());
      }
      remaining = again;
    }
    return returned;
  }

  /**
   * A channel error (such as publishing to an exchange that was deleted) would only repeat: report
   * it instead of publishing again until the deadline.
   */
  private void failIfRefused(List<OutboundMessage> lost) {
    ShutdownSignalException refused = refusal;
    if (refused != null && !lost.isEmpty()) {
      throw new NonTransientCqrsException(
          "RabbitMQ at "
              + connection.broker()
              + " closed the publishing channel: "
              + Failures.reply(refused)
              + "; "
              + lost.size()
              + " message(s) not published",
          refused);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The publisher is closed");
    }
  }

  /** Sends messages until one cannot be sent; returns those that were handed to the channel. */
  private List<Pending> send(List<OutboundMessage> messages, long deadline) {
    List<Pending> sent = new ArrayList<>(messages.size());
    for (OutboundMessage message : messages) {
      acquire(deadline);
      Pending pending = new Pending(message);
      pending.done.whenComplete((outcome, failure) -> window.release());
      sent.add(pending);
      if (!transmit(pending)) {
        break;
      }
    }
    return sent;
  }

  private void acquire(long deadline) {
    try {
      if (!window.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        throw new BrokerUnavailableException(
            connection.broker(), "no publisher confirms arrived in time", null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnavailableException(connection.broker(), "interrupted while publishing", e);
    }
  }

  private boolean transmit(Pending pending) {
    lock.lock();
    try {
      Confirms confirms = confirms();
      long seq = confirms.channel.getNextPublishSeqNo();
      ConcurrentNavigableMap<Long, Pending> map = confirms.pending;
      map.put(seq, pending);
      OutboundMessage message = pending.message;
      confirms.channel.basicPublish(
          message.exchange(),
          message.routingKey(),
          true,
          message.propertiesWithSeq(seq),
          message.body());
      if (map != confirms.pending) {
        // The channel went down while we published: its pending messages were failed already.
        pending.settle(Outcome.LOST);
      }
      return true;
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Publishing failed; will publish again after recovery", e);
      pending.settle(Outcome.LOST);
      return false;
    } catch (BrokerUnavailableException e) {
      pending.settle(Outcome.LOST);
      return false;
    } catch (RuntimeException e) {
      pending.settle(Outcome.LOST); // releases its window permit
      throw e;
    } finally {
      lock.unlock();
    }
  }

  /** The current channel's confirm state, on a new channel if the old one was closed. */
  private Confirms confirms() throws IOException {
    if (current != null && current.channel.isOpen()) {
      return current;
    }
    if (current != null) {
      // Closed by a channel error, or not yet recovered: a fresh channel replaces it.
      current.lost();
      current.channel.abort();
    }
    Channel channel = connection.createChannel();
    Confirms confirms = new Confirms(channel);
    channel.confirmSelect();
    channel.addConfirmListener(
        (tag, multiple) -> confirms.settle(tag, multiple, Outcome.CONFIRMED),
        (tag, multiple) -> confirms.settle(tag, multiple, Outcome.LOST));
    channel.addReturnListener(confirms::returned);
    channel.addShutdownListener(
        cause -> {
          if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
            refusal = cause;
          }
          confirms.lost();
        });
    current = confirms;
    return confirms;
  }

  private Outcome await(Pending pending, long deadline, Duration timeout) {
    try {
      return pending.done.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new BrokerUnavailableException(
          connection.broker(), "it did not confirm a message within " + timeout, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnavailableException(connection.broker(), "interrupted while publishing", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("A publication cannot fail exceptionally", e);
    }
  }

  /** Closes the channel; publications still waiting for confirms are published again or fail. */
  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      if (current != null) {
        current.channel.abort();
        current.lost();
      }
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Aborting the publishing channel failed", e);
    } finally {
      lock.unlock();
    }
  }

  /** One message handed to the channel. */
  private static final class Pending {
    final OutboundMessage message;
    final CompletableFuture<Outcome> done = new CompletableFuture<>();
    volatile Returned returned;

    Pending(OutboundMessage message) {
      this.message = message;
    }

    void settle(Outcome outcome) {
      done.complete(outcome);
    }
  }

  /** What one channel has not had confirmed yet, by publish sequence number. */
  private static final class Confirms {
    final Channel channel;
    volatile ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();

    Confirms(Channel channel) {
      this.channel = channel;
    }

    void settle(long tag, boolean multiple, Outcome outcome) {
      ConcurrentNavigableMap<Long, Pending> map = pending;
      if (multiple) {
        Map<Long, Pending> settled = map.headMap(tag, true);
        settled.values().forEach(p -> p.settle(outcome(p, outcome)));
        settled.clear();
      } else {
        Pending p = map.remove(tag);
        if (p != null) {
          p.settle(outcome(p, outcome));
        }
      }
    }

    private static Outcome outcome(Pending pending, Outcome confirmed) {
      return confirmed == Outcome.CONFIRMED && pending.returned != null
          ? Outcome.RETURNED
          : confirmed;
    }

    /** A {@code basic.return}: it arrives before the confirm of the same message. */
    void returned(Return message) {
      Map<String, Object> headers = message.getProperties().getHeaders();
      Object seq = headers == null ? null : headers.get(CqrsHeaders.PUBLISH_SEQ);
      Pending p = seq instanceof Number number ? pending.get(number.longValue()) : null;
      if (p != null) {
        p.returned = new Returned(p.message, message.getReplyCode(), message.getReplyText());
      }
    }

    /** The channel went down: the fate of every pending message is unknown. */
    void lost() {
      ConcurrentNavigableMap<Long, Pending> lost = pending;
      pending = new ConcurrentSkipListMap<>();
      lost.values().forEach(p -> p.settle(Outcome.LOST));
    }
  }
}
