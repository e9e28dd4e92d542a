package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.NonTransientCqrsException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Counts and replays a subscription's dead letters. A replayed message goes back to the queue it
 * failed in, without its failure headers and with {@link CqrsHeaders#REPLAYED} counted up, so it
 * gets all its attempts again; it is removed from the dead-letter queue only once the broker has
 * confirmed the copy.
 */
final class DeadLetters {
  private static final int BATCH = 500;

  private final BrokerConnection connection;
  private final ConfirmingPublisher publisher;
  private final Duration timeout;

  DeadLetters(BrokerConnection connection, ConfirmingPublisher publisher, Duration timeout) {
    this.connection = connection;
    this.publisher = publisher;
    this.timeout = timeout;
  }

  /** How many messages wait in the topology's dead-letter queue. */
  long count(SubscriptionTopology topology) {
    return withChannel(topology, channel -> channel.messageCount(topology.deadLetterQueue()));
  }

  /**
   * Replays up to {@code max} dead letters, oldest first; messages that fail again during the call
   * are not replayed twice by it.
   *
   * @return how many were replayed
   */
  long replay(SubscriptionTopology topology, long max) {
    return withChannel(
        topology,
        channel -> {
          long limit = Math.min(max, channel.messageCount(topology.deadLetterQueue()));
          long replayed = 0;
          while (replayed < limit) {
            int batch = (int) Math.min(BATCH, limit - replayed);
            List<GetResponse> fetched = fetch(channel, topology.deadLetterQueue(), batch);
            if (fetched.isEmpty()) {
              break;
            }
            republish(topology, fetched);
            long lastTag = fetched.get(fetched.size() - 1).getEnvelope().getDeliveryTag();
            channel.basicAck(lastTag, true);
            replayed += fetched.size();
          }
          return replayed;
        });
  }

  private static List<GetResponse> fetch(Channel channel, String queue, int max)
      throws IOException {
    List<GetResponse> fetched = new ArrayList<>(max);
    for (int i = 0; i < max; i++) {
      GetResponse response = channel.basicGet(queue, false);
      if (response == null) {
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
              original.builder().headers(replayHeaders(original.getHeaders())).build(),
              response.getBody()));
    }
    List<Returned> returned = publisher.publish(copies, timeout);
    if (!returned.isEmpty()) {
      // Closing the channel without an ack leaves the fetched messages in the dead-letter queue.
      throw new NonTransientCqrsException(
          "Cannot replay dead letters of '" + topology.name() + "': " + returned.get(0).describe());
    }
  }

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
  private interface ChannelWork {
    long run(Channel channel) throws IOException;
  }

  private long withChannel(SubscriptionTopology topology, ChannelWork work) {
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
