package io.cqrs.rabbitmq;

import com.rabbitmq.client.Envelope;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a delivery of one subscription (or service) came from, judged only by what the broker
 * wrote: the exchange and routing key it was routed with, and the broker's own {@code x-death}
 * record of its last dead-lettering. Nothing a publisher sets decides it, so a message cannot claim
 * attempts it never had, or failure headers the framework did not write.
 *
 * <ul>
 *   <li><b>Retried</b>: it expired from one of this subscription's retry queues, which dead-letter
 *       through the default exchange to the subscription's queue: routed by {@code ""} with the
 *       queue's name, and the latest {@code x-death} entry is that retry queue, reason {@code
 *       expired}. Only then are its earlier attempts counted, and its failure headers (written by
 *       the framework on the copy it put in the retry queue) kept.
 *   <li><b>Replayed</b>: sent back from the dead-letter queue ({@link DeadLetters}), routed as a
 *       replay is. Its original route and replay count are kept; its attempts start again at 1.
 *   <li><b>Published</b>: anything else. It is on its first attempt whatever its headers say, and
 *       every framework header but its payload's ({@link CqrsHeaders#SOURCE_ID}, {@link
 *       CqrsHeaders#VERSION}) is dropped from the copies the framework makes of it.
 * </ul>
 *
 * <p>A publisher that may write to the prefix's failure exchange ({@link Names#failureExchange})
 * can still make a message look replayed (that route is the queue's own name): it gains nothing but
 * an original route, original user id and replay count of its choosing; attempts and reasons stay
 * the framework's.
 */
final class DeliveryOrigin {
  /** Framework headers that say what happened to a message; never taken from a publisher. */
  private static final Set<String> BOOKKEEPING =
      Set.of(
          CqrsHeaders.ATTEMPTS,
          CqrsHeaders.EXCEPTION,
          CqrsHeaders.REASON,
          CqrsHeaders.QUEUE,
          CqrsHeaders.DEAD_LETTERED_AT,
          CqrsHeaders.ORIGINAL_EXCHANGE,
          CqrsHeaders.ORIGINAL_ROUTING_KEY,
          CqrsHeaders.ORIGINAL_USER_ID,
          CqrsHeaders.REPLAYED);

  /**
   * What a retried or replayed message keeps of them: where it came from, and its replay count (the
   * rest is written anew).
   */
  private static final Set<String> ROUTE =
      Set.of(
          CqrsHeaders.ORIGINAL_EXCHANGE,
          CqrsHeaders.ORIGINAL_ROUTING_KEY,
          CqrsHeaders.ORIGINAL_USER_ID,
          CqrsHeaders.REPLAYED);

  private final List<String> retryQueues;
  private final String replayExchange;
  private final String replayRoutingKey;

  /**
   * @param retryQueues the queue a message waits in before its second, third … attempt
   * @param replayExchange the exchange a replayed dead letter is published to
   * @param replayRoutingKey the routing key it is published with
   */
  DeliveryOrigin(List<String> retryQueues, String replayExchange, String replayRoutingKey) {
    this.retryQueues = List.copyOf(retryQueues);
    this.replayExchange = replayExchange;
    this.replayRoutingKey = replayRoutingKey;
  }

  static DeliveryOrigin of(SubscriptionTopology topology) {
    return new DeliveryOrigin(
        topology.retryQueues(), topology.replayExchange(), topology.replayRoutingKey());
  }

  /** How many attempts to handle the message failed before this delivery: 0 unless retried. */
  int previousAttempts(Inbound delivery) {
    int retryQueue = retryQueueIndex(delivery);
    if (retryQueue < 0) {
      return 0;
    }
    // The framework's count on the copy picks among retry queues of equal delay (equal names);
    // a count that does not match the queue the broker says it came from is not believed.
    if (delivery.header(CqrsHeaders.ATTEMPTS) instanceof Number claimed) {
      int attempts = claimed.intValue();
      if (attempts >= 1
          && attempts <= retryQueues.size()
          && retryQueues.get(attempts - 1).equals(retryQueues.get(retryQueue))) {
        return attempts;
      }
    }
    return retryQueue + 1;
  }

  /**
   * The delivery's headers for a copy the framework makes: without what the broker and the
   * publisher added on the way, and without framework bookkeeping the delivery's origin does not
   * vouch for.
   */
  Map<String, Object> headersForCopy(Inbound delivery) {
    Map<String, Object> headers =
        FailureRouter.withoutBrokerHeaders(delivery.properties().getHeaders());
    boolean trusted = retryQueueIndex(delivery) >= 0 || isReplay(delivery.envelope());
    headers
        .keySet()
        .removeIf(name -> BOOKKEEPING.contains(name) && !(trusted && ROUTE.contains(name)));
    return headers;
  }

  private boolean isReplay(Envelope envelope) {
    return replayExchange.equals(envelope.getExchange())
        && replayRoutingKey.equals(envelope.getRoutingKey());
  }

  /** Which retry queue the broker returned the delivery from, or -1. */
  private int retryQueueIndex(Inbound delivery) {
    Envelope envelope = delivery.envelope();
    if (retryQueues.isEmpty()
        || !"".equals(envelope.getExchange())
        || !delivery.queue().equals(envelope.getRoutingKey())) {
      return -1;
    }
    if (!(delivery.header("x-death") instanceof List<?> deaths)
        || deaths.isEmpty()
        || !(deaths.get(0) instanceof Map<?, ?> latest)
        || !"expired".equals(String.valueOf(latest.get("reason")))) {
      return -1;
    }
    return retryQueues.indexOf(String.valueOf(latest.get("queue")));
  }
}
