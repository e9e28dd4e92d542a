package io.cqrs.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The queues of one event subscription or command service: what is declared, what the listeners
 * consume, where failed messages wait and die, and where a replayed dead letter goes.
 *
 * @param name the subscription's or service's name
 * @param queue the base queue name; the dead-letter and retry queues are named after it
 * @param consumeQueues the queues listeners consume (one, or one per partition)
 * @param declarations everything to declare, in order
 * @param retryQueues the queue a message waits in before its second, third … attempt
 * @param ordered whether messages of one partition are handled strictly one after another
 * @param replayExchange the exchange a replayed dead letter is published to
 * @param replayRoutingKey the routing key it is published with
 * @param failureExchange the direct exchange the framework moves failed messages through, to the
 *     retry and dead-letter queues (each bound with its own name); see {@link
 *     Names#failureExchange}
 */
record SubscriptionTopology(
    String name,
    String queue,
    List<String> consumeQueues,
    List<Declaration> declarations,
    List<String> retryQueues,
    boolean ordered,
    String replayExchange,
    String replayRoutingKey,
    String failureExchange) {

  /** Consistent-hash binding weight: more points on the ring spread sources more evenly. */
  private static final String PARTITION_WEIGHT = "10";

  /** The dead-letter queue. */
  String deadLetterQueue() {
    return Names.deadLetterQueue(queue);
  }

  /**
   * One durable queue that competing listeners share, bound to {@code exchange} with each routing
   * key, with delayed retry queues that return messages to it. The dead-letter queue, the retry
   * queues and the queue itself (for replayed dead letters) are bound to {@code failureExchange}
   * with their own names.
   */
  static SubscriptionTopology workQueue(
      String name,
      String queue,
      Declaration exchange,
      List<String> routingKeys,
      List<Duration> retryDelays,
      QueueType type,
      String failureExchange) {
    List<Declaration> declarations = new ArrayList<>();
    declarations.add(exchange);
    declarations.add(Declaration.exchange(failureExchange, BuiltinExchangeType.DIRECT));
    String deadLetters = Names.deadLetterQueue(queue);
    declarations.add(Declaration.queue(deadLetters, typed(type, Map.of())));
    declarations.add(Declaration.queueBinding(deadLetters, failureExchange, deadLetters));
    List<String> retryQueues = new ArrayList<>();
    for (Duration delay : retryDelays) {
      String retryQueue = Names.retryQueue(queue, delay);
      retryQueues.add(retryQueue);
      declarations.add(retryQueue(queue, delay, type));
      declarations.add(Declaration.queueBinding(retryQueue, failureExchange, retryQueue));
    }
    declarations.add(Declaration.queue(queue, typed(type, deadLetteringTo(deadLetters, false))));
    declarations.add(Declaration.queueBinding(queue, failureExchange, queue));
    for (String routingKey : routingKeys) {
      declarations.add(Declaration.queueBinding(queue, exchange.name(), routingKey));
    }
    return new SubscriptionTopology(
        name,
        queue,
        List.of(queue),
        declarations,
        retryQueues,
        false,
        failureExchange,
        queue,
        failureExchange);
  }

  /**
   * {@code partitions} single-active-consumer queues behind a consistent-hash exchange that hashes
   * the {@link CqrsHeaders#SOURCE_ID} header, so that all events of one aggregate land in one
   * partition, which one listener at a time handles in order. Failed events are retried in place;
   * the dead-letter queue is bound to {@code failureExchange} with its own name.
   */
  static SubscriptionTopology partitioned(
      String name,
      String queue,
      Declaration exchange,
      int partitions,
      QueueType type,
      String failureExchange) {
    List<Declaration> declarations = new ArrayList<>();
    declarations.add(exchange);
    declarations.add(Declaration.exchange(failureExchange, BuiltinExchangeType.DIRECT));
    String deadLetters = Names.deadLetterQueue(queue);
    declarations.add(Declaration.queue(deadLetters, typed(type, Map.of())));
    declarations.add(Declaration.queueBinding(deadLetters, failureExchange, deadLetters));
    String hash = Names.hashExchange(queue);
    declarations.add(
        Declaration.exchange(
            hash, "x-consistent-hash", Map.of("hash-header", CqrsHeaders.SOURCE_ID)));
    declarations.add(Declaration.exchangeBinding(hash, exchange.name(), "#"));
    List<String> partitionQueues = new ArrayList<>();
    for (int i = 0; i < partitions; i++) {
      String partition = Names.partition(queue, i);
      partitionQueues.add(partition);
      declarations.add(
          Declaration.queue(partition, typed(type, deadLetteringTo(deadLetters, true))));
      declarations.add(Declaration.queueBinding(partition, hash, PARTITION_WEIGHT));
    }
    return new SubscriptionTopology(
        name, queue, partitionQueues, declarations, List.of(), true, hash, "", failureExchange);
  }

  /**
   * A queue where failed messages wait {@code delay}, then the broker returns them to {@code
   * queue}.
   */
  private static Declaration retryQueue(String queue, Duration delay, QueueType type) {
    return Declaration.queue(
        Names.retryQueue(queue, delay),
        typed(
            type,
            Map.of(
                "x-message-ttl",
                delay.toMillis(),
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                queue)));
  }

  /**
   * The queue arguments for the bus's queue type. A quorum queue that dead-letters does so at least
   * once, which needs {@code x-overflow: reject-publish}; without it the broker would quietly fall
   * back to at most once, and a retry whose delay ran out while its target queue was unavailable
   * would be lost.
   */
  static Map<String, Object> typed(QueueType type, Map<String, Object> arguments) {
    if (type == QueueType.CLASSIC) {
      return arguments;
    }
    Map<String, Object> quorum = new LinkedHashMap<>(arguments);
    quorum.put("x-queue-type", "quorum");
    if (arguments.containsKey("x-dead-letter-exchange")) {
      quorum.put("x-dead-letter-strategy", "at-least-once");
      quorum.put("x-overflow", "reject-publish");
    }
    return Collections.unmodifiableMap(quorum);
  }

  private static Map<String, Object> deadLetteringTo(String deadLetters, boolean singleActive) {
    // The broker's own dead-lettering is the fallback for a rejected message: the listener
    // rejects only when it cannot publish the copy with the failure's headers.
    return singleActive
        ? Map.of(
            "x-dead-letter-exchange",
            "",
            "x-dead-letter-routing-key",
            deadLetters,
            "x-single-active-consumer",
            true)
        : Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", deadLetters);
  }
}
