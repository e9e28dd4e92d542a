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
 * queue: it publishes a copy with the failure in its headers, through the prefix's failure exchange
 * ({@link Names#failureExchange}) with the target queue's name, waits for the broker's confirm, and
 * only then lets the listener acknowledge the original. Nothing is lost if the process dies in
 * between; the message may be handled once more.
 *
 * <p>The attempt count and every failure header come from the framework's own path ({@link
 * DeliveryOrigin}), never from what a publisher put on the message; every dead letter the framework
 * writes carries {@link CqrsHeaders#REASON}. A copy goes to the one queue chosen here: it keeps no
 * sender-selected routes ({@code CC}, {@code BCC}) and no {@code user_id} of the original.
 */
final class FailureRouter {
  private static final Logger log = LoggerFactory.getLogger(FailureRouter.class);

  /**
   * The headers of RabbitMQ's sender-selected distribution: the broker routes a message by the
   * routing keys they list as well as by its own, and keeps {@code CC} on delivery. A copy that
   * kept a publisher's would reach, through the failure exchange, any queue of the prefix bound
   * there.
   */
  private static final List<String> SENDER_SELECTED_ROUTES = List.of("CC", "BCC");

  /** How the copies go out: {@link ConfirmingPublisher#publishCopies}, or a test's stand-in. */
  @FunctionalInterface
  interface Publisher {
    /** Publishes and waits for the confirms; returns the messages the broker could not route. */
    List<Returned> publish(List<OutboundMessage> messages, Duration timeout);
  }

  private final Publisher publisher;
  private final Duration publishTimeout;
  private final String deadLetterQueue;
  private final String failureExchange;
  private final List<String> retryQueues;
  private final DeliveryOrigin origin;

  FailureRouter(Publisher publisher, Duration publishTimeout, SubscriptionTopology topology) {
    this.publisher = publisher;
    this.publishTimeout = publishTimeout;
    this.deadLetterQueue = topology.deadLetterQueue();
    this.failureExchange = topology.failureExchange();
    this.retryQueues = List.copyOf(topology.retryQueues());
    this.origin = DeliveryOrigin.of(topology);
  }

  /** Which attempt this delivery is: 1, unless the broker returned it from a retry queue. */
  int attemptOf(Inbound delivery) {
    return origin.previousAttempts(delivery) + 1;
  }

  /** Sends a message whose handler failed on attempt {@code attempt} to be tried again, or dead. */
  Disposition retryOrDeadLetter(Inbound delivery, int attempt, Throwable failure) {
    if (attempt < 1 || attempt > retryQueues.size()) {
      return deadLetter(delivery, CqrsHeaders.REASON_HANDLER_FAILED, attempt, failure);
    }
    log.info(
        "Attempt {} at {} failed, retrying later: {}",
        attempt,
        delivery.describe(),
        Failures.summary(failure));
    Map<String, Object> headers = failureHeaders(delivery, attempt, failure);
    Disposition moved = publishCopy(delivery, retryQueues.get(attempt - 1), headers);
    // A retry queue someone deleted: dead-letter with the reason rather than let the broker
    // dead-letter the original without one.
    return moved == Disposition.REJECT
        ? deadLetter(delivery, CqrsHeaders.REASON_HANDLER_FAILED, attempt, failure)
        : moved;
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

  private Map<String, Object> failureHeaders(Inbound delivery, int attempts, Throwable failure) {
    Map<String, Object> headers = origin.headersForCopy(delivery);
    headers.put(CqrsHeaders.ATTEMPTS, attempts);
    headers.put(CqrsHeaders.EXCEPTION, Failures.describe(failure));
    headers.put(CqrsHeaders.QUEUE, delivery.queue());
    // After a retry or a replay the envelope shows that route: keep the first one.
    headers.putIfAbsent(CqrsHeaders.ORIGINAL_EXCHANGE, delivery.envelope().getExchange());
    headers.putIfAbsent(CqrsHeaders.ORIGINAL_ROUTING_KEY, delivery.envelope().getRoutingKey());
    return headers;
  }

  /**
   * A copy of the headers without those the broker or the publisher add on the way, and without the
   * sender-selected routes ({@code CC}, {@code BCC}), which would send the copy to more queues than
   * the one the framework chose.
   */
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
    headers.keySet().removeAll(SENDER_SELECTED_ROUTES);
    return headers;
  }

  /**
   * The properties of a copy the framework publishes: the original's, with {@code headers}, but
   * without its {@code user_id}. The broker refuses a publish whose {@code user_id} is not the
   * publishing connection's user (a channel error that would refuse the copy on every try), so the
   * original's goes into {@link CqrsHeaders#ORIGINAL_USER_ID} of {@code headers} instead.
   */
  static AMQP.BasicProperties.Builder copyProperties(
      AMQP.BasicProperties original, Map<String, Object> headers) {
    if (original.getUserId() != null) {
      headers.put(CqrsHeaders.ORIGINAL_USER_ID, original.getUserId());
    }
    return original.builder().headers(headers).userId(null);
  }

  private Disposition publishCopy(Inbound delivery, String queue, Map<String, Object> headers) {
    AMQP.BasicProperties properties =
        copyProperties(delivery.properties(), headers).deliveryMode(2).expiration(null).build();
    OutboundMessage copy =
        new OutboundMessage(
            failureExchange, queue, delivery.properties().getType(), properties, delivery.body());
    try {
      List<Returned> returned = publisher.publish(List.of(copy), publishTimeout);
      if (!returned.isEmpty()) {
        // The queue (or its binding) is gone; the broker's own dead-lettering of the original is
        // all that is left.
        log.error(
            "Cannot move {}: {}; rejecting it", delivery.describe(), returned.get(0).describe());
        return Disposition.REJECT;
      }
      return Disposition.ACK;
    } catch (IllegalArgumentException e) {
      // The client cannot encode the copy: it would be refused again on every pass, each running
      // the handler once more. The broker's own dead-lettering of the original is all that is
      // left. (A channel error is not taken for the copy's own: any message on the shared
      // publishing channel can cause one, and every message then in flight on it is failed.)
      log.error("Cannot move {} to {}; rejecting it: {}", delivery.describe(), queue, e.toString());
      return Disposition.REJECT;
    } catch (CqrsException | IllegalStateException e) {
      log.warn("Cannot move {} to {}; requeueing it: {}", delivery.describe(), queue, e.toString());
      return Disposition.REQUEUE;
    }
  }
}
