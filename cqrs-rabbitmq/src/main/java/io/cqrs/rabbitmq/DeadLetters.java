package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.spi.QueuedDeadLetter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts, shows and replays a subscription's dead letters. A replayed message goes back to the
 * queue it failed in, without its failure headers and with {@link CqrsHeaders#REPLAYED} counted up,
 * so it gets all its attempts again; it is removed from the dead-letter queue only once the broker
 * has confirmed the copy. It goes to that queue alone: like every copy the framework publishes, it
 * keeps no sender-selected routes ({@code CC}, {@code BCC}) and no {@code user_id}.
 */
final class DeadLetters {
  private static final int BATCH = 500;
  private static final Duration RETURN_WAIT = Duration.ofSeconds(2);
  private static final Duration RETURN_POLL = Duration.ofMillis(5);

  private final BrokerConnection connection;
  private final CopyPublisher publisher;
  private final Duration timeout;

  /** What publishes the copies: {@link ConfirmingPublisher#publishCopies}; a seam for tests. */
  interface CopyPublisher {
    List<Returned> publishCopies(List<OutboundMessage> copies, Duration timeout);
  }

  DeadLetters(BrokerConnection connection, ConfirmingPublisher publisher, Duration timeout) {
    this(connection, publisher::publishCopies, timeout);
  }

  DeadLetters(BrokerConnection connection, CopyPublisher publisher, Duration timeout) {
    this.connection = connection;
    this.publisher = publisher;
    this.timeout = timeout;
  }

  /** How many messages wait in the topology's dead-letter queue. */
  long count(SubscriptionTopology topology) {
    return withChannel(topology, channel -> channel.messageCount(topology.deadLetterQueue()));
  }

  /**
   * The oldest {@code max} dead letters, fetched unacknowledged on a channel of their own and given
   * back with one {@code basic.nack} (requeue, multiple) before the channel closes; if the call
   * fails half-way, closing the channel gives them back just the same. The broker puts a message it
   * gets back at its old place in a classic queue (nothing else consumes a dead-letter queue, so
   * the place is free), and at the head of a quorum queue in the order they were fetched, so the
   * queue keeps its order either way. A {@code basic.nack} is not counted as a failed delivery by a
   * quorum queue's delivery limit (RabbitMQ 4), and the buses set none on their dead-letter queues
   * (3.x), so looking never drops a dead letter. A replay that runs at the same time may take some
   * of them first: they are then shown, and replayed, once.
   */
  List<QueuedDeadLetter> peek(SubscriptionTopology topology, int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0, was " + max);
    }
    return withChannel(
        topology,
        channel -> {
          List<GetResponse> fetched = fetch(channel, topology.deadLetterQueue(), max, null);
          if (!fetched.isEmpty()) {
            long lastTag = fetched.get(fetched.size() - 1).getEnvelope().getDeliveryTag();
            channel.basicNack(lastTag, true, true);
            awaitReturned(channel, topology.deadLetterQueue(), fetched.size());
          }
          return fetched.stream().map(DeadLetters::queued).toList();
        });
  }

  /**
   * Waits, briefly, until the queue counts the messages given back as ready again. A {@code
   * basic.nack} has no reply, and a quorum queue applies the return through its Raft log: without
   * the wait, a count or a replay right after a look would miss them for some milliseconds. A
   * replay racing the look may take them first; the wait then ends at its deadline, and nothing is
   * lost.
   */
  private void awaitReturned(Channel channel, String queue, int returned) throws IOException {
    long deadline = System.nanoTime() + Math.min(timeout.toNanos(), RETURN_WAIT.toNanos());
    while (channel.messageCount(queue) < returned && System.nanoTime() < deadline) {
      LockSupport.parkNanos(RETURN_POLL.toNanos());
    }
  }

  /** What the failure headers say about a dead letter. */
  static QueuedDeadLetter queued(GetResponse response) {
    AMQP.BasicProperties properties = response.getProps();
    Map<String, Object> headers =
        properties.getHeaders() == null ? Map.of() : properties.getHeaders();
    String failure = text(headers.get(CqrsHeaders.EXCEPTION));
    int lineEnd = failure.indexOf('\n');
    return new QueuedDeadLetter(
        String.valueOf(properties.getMessageId()),
        String.valueOf(properties.getType()),
        text(headers.get(CqrsHeaders.REASON)),
        (lineEnd < 0 ? failure : failure.substring(0, lineEnd)).strip(),
        headers.get(CqrsHeaders.ATTEMPTS) instanceof Number attempts ? attempts.intValue() : 0);
  }

  /** A header's value as text: the broker hands strings over as {@code LongString}s. */
  private static String text(Object value) {
    return value == null ? "" : value.toString();
  }

  /**
   * Replays up to {@code max} dead letters, oldest first; messages that fail again during the call
   * are not replayed twice by it. It stops at the first fetch that finds fewer letters than it
   * asked for, or a letter it replayed already (a racing call took letters ahead of it, so what
   * comes next may be its own replays, failed again): the rest are the next call's.
   *
   * @return how many were replayed
   */
  long replay(SubscriptionTopology topology, long max) {
    return withChannel(
        topology,
        channel -> {
          // The channel recovers with the connection, and an ack of a delivery of the dead one is
          // dropped without a word: the broker has put the batch back in the dead-letter queue.
          AtomicBoolean lost = new AtomicBoolean();
          channel.addShutdownListener(cause -> lost.set(true));
          long limit = Math.min(max, channel.messageCount(topology.deadLetterQueue()));
          long replayed = 0;
          // The message ids this call replayed: a letter that failed again meanwhile is back at
          // the queue's tail, and racing calls taking letters ahead of it can bring it within
          // this call's reach before the limit is met.
          Set<String> replayedIds = new HashSet<>();
          while (replayed < limit) {
            if (lost.get()) {
              // Lost after the last ack: it may not have reached the broker, which would then
              // hand the same letters out again.
              throw lostWhileReplaying(
                  topology,
                  "' after "
                      + replayed
                      + " were replayed; the last of them may still be in the dead-letter queue");
            }
            int batch = (int) Math.min(BATCH, limit - replayed);
            List<GetResponse> fetched =
                fetch(channel, topology.deadLetterQueue(), batch, replayedIds);
            if (fetched.isEmpty()) {
              break;
            }
            republish(topology, fetched);
            if (lost.get()) {
              // Going on would fetch and publish the same messages again in this call.
              throw lostWhileReplaying(
                  topology,
                  "': "
                      + replayed
                      + " replayed; "
                      + fetched.size()
                      + " more were published again but stay in the dead-letter queue, so a later"
                      + " replay publishes them once more");
            }
            long lastTag = fetched.get(fetched.size() - 1).getEnvelope().getDeliveryTag();
            channel.basicAck(lastTag, true);
            replayed += fetched.size();
            if (fetched.size() < batch) {
              // The queue held no more letters of this call's (what came after them came back
              // from this call's replays, or is newer than the call): the rest is the next call's.
              break;
            }
          }
          return replayed;
        });
  }

  /** A replay that lost its channel: {@code outcome} says what became of the letters. */
  private BrokerUnavailableException lostWhileReplaying(
      SubscriptionTopology topology, String outcome) {
    return new BrokerUnavailableException(
        connection.broker(),
        "the connection was lost while replaying dead letters of '" + topology.name() + outcome,
        null);
  }

  /**
   * Takes up to {@code max} letters; with {@code replayedIds}, stopping short at the first whose
   * message id is in it (a letter this call replayed, failed again: put back, not taken) and adding
   * the ids of those taken.
   */
  private static List<GetResponse> fetch(
      Channel channel, String queue, int max, Set<String> replayedIds) throws IOException {
    List<GetResponse> fetched = new ArrayList<>(max);
    for (int i = 0; i < max; i++) {
      GetResponse response = channel.basicGet(queue, false);
      if (response == null) {
        break;
      }
      String id = response.getProps().getMessageId();
      if (replayedIds != null && id != null && !replayedIds.add(id)) {
        channel.basicReject(response.getEnvelope().getDeliveryTag(), true);
        break;
      }
      fetched.add(response);
    }
    return fetched;
  }

  private void republish(SubscriptionTopology topology, List<GetResponse> fetched) {
    List<OutboundMessage> copies = new ArrayList<>(fetched.size());
    for (GetResponse response : fetched) {
      AMQP.BasicProperties original = response.getProps();
      copies.add(
          new OutboundMessage(
              topology.replayExchange(),
              topology.replayRoutingKey(),
              original.getType(),
              FailureRouter.copyProperties(original, replayHeaders(original.getHeaders())).build(),
              response.getBody()));
    }
    List<Returned> returned = publisher.publishCopies(copies, timeout);
    if (!returned.isEmpty()) {
      // Closing the channel without an ack leaves the fetched messages in the dead-letter queue.
      throw new NonTransientCqrsException(
          "Cannot replay dead letters of '" + topology.name() + "': " + returned.get(0).describe());
    }
  }

  /**
   * A dead letter's headers for its replay: without its failure, without what the broker and the
   * publisher added on the way (sender-selected routes included), its replay count counted up.
   */
  static Map<String, Object> replayHeaders(Map<String, Object> original) {
    Map<String, Object> headers = FailureRouter.withoutBrokerHeaders(original);
    Object replayed = headers.get(CqrsHeaders.REPLAYED);
    headers.put(
        CqrsHeaders.REPLAYED, replayed instanceof Number number ? number.intValue() + 1 : 1);
    headers.remove(CqrsHeaders.ATTEMPTS);
    headers.remove(CqrsHeaders.EXCEPTION);
    headers.remove(CqrsHeaders.REASON);
    headers.remove(CqrsHeaders.QUEUE);
    headers.remove(CqrsHeaders.DEAD_LETTERED_AT);
    return headers;
  }

  @FunctionalInterface
  private interface ChannelWork<R> {
    R run(Channel channel) throws IOException;
  }

  private <R> R withChannel(SubscriptionTopology topology, ChannelWork<R> work) {
    connection.awaitUsable(System.nanoTime() + timeout.toNanos());
    Channel channel = connection.createChannel();
    try {
      return work.run(channel);
    } catch (IOException | ShutdownSignalException e) {
      if (connection.isUsable()) {
        // The connection is fine, so the broker refused this channel's request: no such queue.
        throw new NonTransientCqrsException(
            "Cannot read dead-letter queue '"
                + topology.deadLetterQueue()
                + "' (has '"
                + topology.name()
                + "' ever been subscribed?)",
            e);
      }
      throw new BrokerUnavailableException(connection.broker(), "dead-letter queue unreachable", e);
    } finally {
      BrokerConnection.closeQuietly(channel);
    }
  }
}
