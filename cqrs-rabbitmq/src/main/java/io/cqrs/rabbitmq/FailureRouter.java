package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import io.cqrs.CqrsException;
import io.cqrs.rabbitmq.DeliveryHandler.Disposition;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a failed message of one subscription (or service) to its retry queue or its dead-letter
 * queue: it publishes a copy with the failure in its headers, waits for the broker's confirm, and
 * only then lets the listener acknowledge the original. Nothing is lost if the process dies in
 * between; the message may be handled once more.
 */
final class FailureRouter {
  private static final Logger log = LoggerFactory.getLogger(FailureRouter.class);

  private final ConfirmingPublisher publisher;
  private final Duration publishTimeout;
  private final String deadLetterQueue;
  private final List<String> retryQueues;

  /**
   * @param retryQueues the queue that holds a message before its second, third … attempt
   */
  FailureRouter(
      ConfirmingPublisher publisher,
      Duration publishTimeout,
      String deadLetterQueue,
      List<String> retryQueues) {
    this.publisher = publisher;
    this.publishTimeout = publishTimeout;
    this.deadLetterQueue = deadLetterQueue;
    this.retryQueues = List.copyOf(retryQueues);
  }

  /** Sends a message whose handler failed on attempt {@code attempt} to be tried again, or dead. */
  Disposition retryOrDeadLetter(Inbound delivery, int attempt, Throwable failure) {
    if (attempt > retryQueues.size()) {
      return deadLetter(delivery, CqrsHeaders.REASON_HANDLER_FAILED, attempt, failure);
    }
    log.info(
        "Attempt {} at {} failed, retrying later: {}",
        attempt,
        delivery.describe(),
        Failures.summary(failure));
    Map<String, Object> headers = failureHeaders(delivery, attempt, failure);
    return publishCopy(delivery, retryQueues.get(attempt - 1), headers);
  }

  /** Sends a message to the dead-letter queue with the reason in its headers. */
  Disposition deadLetter(Inbound delivery, String reason, int attempts, Throwable failure) {
    log.warn(
        "Dead-lettering {} to {} after {} attempt(s) ({})",
        delivery.describe(),
        deadLetterQueue,
        attempts,
        reason,
        failure);
    Map<String, Object> headers = failureHeaders(delivery, attempts, failure);
    headers.put(CqrsHeaders.REASON, reason);
    headers.put(CqrsHeaders.DEAD_LETTERED_AT, Instant.now().toString());
    return publishCopy(delivery, deadLetterQueue, headers);
  }

  private static Map<String, Object> failureHeaders(
      Inbound delivery, int attempts, Throwable failure) {
    Map<String, Object> headers = withoutBrokerHeaders(delivery.properties().getHeaders());
    headers.put(CqrsHeaders.ATTEMPTS, attempts);
    headers.put(CqrsHeaders.EXCEPTION, Failures.describe(failure));
    headers.put(CqrsHeaders.QUEUE, delivery.queue());
    // After a retry the envelope shows the retry queue's route: keep the first one.
    headers.putIfAbsent(CqrsHeaders.ORIGINAL_EXCHANGE, delivery.envelope().getExchange());
    headers.putIfAbsent(CqrsHeaders.ORIGINAL_ROUTING_KEY, delivery.envelope().getRoutingKey());
    return headers;
  }

  /** A copy of the headers without those the broker or the publisher add on the way. */
  static Map<String, Object> withoutBrokerHeaders(Map<String, Object> original) {
    Map<String, Object> headers = new HashMap<>(original == null ? Map.of() : original);
    headers
        .keySet()
        .removeIf(
            name ->
                name.startsWith("x-death")
                    || name.startsWith("x-first-death")
                    || name.startsWith("x-last-death"));
    headers.remove(CqrsHeaders.PUBLISH_SEQ);
    return headers;
  }

  private Disposition publishCopy(Inbound delivery, String queue, Map<String, Object> headers) {
    AMQP.BasicProperties properties =
        delivery.properties().builder().headers(headers).deliveryMode(2).expiration(null).build();
    OutboundMessage copy =
        new OutboundMessage(
            "", queue, delivery.properties().getType(), properties, delivery.body());
    try {
      List<Returned> returned = publisher.publish(List.of(copy), publishTimeout);
      if (!returned.isEmpty()) {
        // The queue is gone; the broker's own dead-lettering of the original is all that is left.
        log.error(
            "Cannot move {}: {}; rejecting it", delivery.describe(), returned.get(0).describe());
        return Disposition.REJECT;
      }
      return Disposition.ACK;
    } catch (CqrsException | IllegalStateException e) {
      log.warn("Cannot move {} to {}; requeueing it: {}", delivery.describe(), queue, e.toString());
      return Disposition.REQUEUE;
    }
  }
}
