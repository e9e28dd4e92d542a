package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Attempts and failure headers come from the broker's route and death record, not a publisher. */
class DeliveryOriginTest {
  private static final String QUEUE = "shop.events.billing";
  private static final String RETRY_1 = QUEUE + ".retry-1000ms";
  private static final String RETRY_2 = QUEUE + ".retry-10000ms";
  private static final String EXCHANGE = "shop.events";

  private final DeliveryOrigin origin = new DeliveryOrigin(List.of(RETRY_1, RETRY_2), "", QUEUE);

  @Test
  void a_published_message_is_on_its_first_attempt_whatever_its_headers_claim() {
    for (Object forged : List.of(2, 3, 99, Integer.MAX_VALUE, -1, 0L, "2")) {
      Inbound delivery = delivery(EXCHANGE, "ItemAdded", Map.of(CqrsHeaders.ATTEMPTS, forged));

      assertThat(origin.previousAttempts(delivery)).as("claimed %s", forged).isZero();
    }
  }

  @Test
  void a_published_message_with_a_forged_death_record_is_still_on_its_first_attempt() {
    Map<String, Object> headers =
        Map.of("x-death", List.of(death(RETRY_2, "expired")), CqrsHeaders.ATTEMPTS, 2);

    assertThat(origin.previousAttempts(delivery(EXCHANGE, "ItemAdded", headers))).isZero();
  }

  @Test
  void a_message_the_broker_returned_from_a_retry_queue_counts_that_queues_attempts() {
    Map<String, Object> first = Map.of("x-death", List.of(death(RETRY_1, "expired")));
    Map<String, Object> second =
        Map.of("x-death", List.of(death(RETRY_2, "expired")), CqrsHeaders.ATTEMPTS, 2);

    assertThat(origin.previousAttempts(delivery("", QUEUE, first))).isEqualTo(1);
    assertThat(origin.previousAttempts(delivery("", QUEUE, second))).isEqualTo(2);
  }

  @Test
  void a_count_that_contradicts_the_retry_queue_is_not_believed() {
    Map<String, Object> headers =
        Map.of("x-death", List.of(death(RETRY_1, "expired")), CqrsHeaders.ATTEMPTS, 2);

    assertThat(origin.previousAttempts(delivery("", QUEUE, headers))).isEqualTo(1);
  }

  @Test
  void retry_queues_of_equal_delay_are_told_apart_by_the_frameworks_count() {
    DeliveryOrigin sameDelay = new DeliveryOrigin(List.of(RETRY_1, RETRY_1), "", QUEUE);
    Map<String, Object> second =
        Map.of("x-death", List.of(death(RETRY_1, "expired")), CqrsHeaders.ATTEMPTS, 2);

    assertThat(sameDelay.previousAttempts(delivery("", QUEUE, second))).isEqualTo(2);
  }

  @Test
  void only_an_expiry_from_a_retry_queue_is_a_retry() {
    Map<String, Object> rejected = Map.of("x-death", List.of(death(RETRY_1, "rejected")));
    Map<String, Object> otherQueue = Map.of("x-death", List.of(death("elsewhere", "expired")));
    Map<String, Object> expired = Map.of("x-death", List.of(death(RETRY_1, "expired")));

    assertThat(origin.previousAttempts(delivery("", QUEUE, rejected))).isZero();
    assertThat(origin.previousAttempts(delivery("", QUEUE, otherQueue))).isZero();
    assertThat(origin.previousAttempts(delivery("", "another-queue", expired))).isZero();
    assertThat(origin.previousAttempts(delivery(EXCHANGE, QUEUE, expired))).isZero();
  }

  @Test
  void copies_of_a_published_message_keep_none_of_the_frameworks_headers_it_came_with() {
    Map<String, Object> headers = new HashMap<>(forgedFailure());
    headers.put(CqrsHeaders.SOURCE_ID, "account-1");
    headers.put(CqrsHeaders.VERSION, 3L);
    headers.put("x-tenant", "acme");

    Map<String, Object> copy = origin.headersForCopy(delivery(EXCHANGE, "ItemAdded", headers));

    assertThat(copy)
        .containsOnlyKeys(CqrsHeaders.SOURCE_ID, CqrsHeaders.VERSION, "x-tenant")
        .containsEntry(CqrsHeaders.SOURCE_ID, "account-1");
  }

  @Test
  void copies_of_a_retried_or_replayed_message_keep_its_first_route_user_and_replay_count() {
    Map<String, Object> retried = new HashMap<>(forgedFailure());
    retried.put("x-death", List.of(death(RETRY_1, "expired")));
    Map<String, Object> replayed = new HashMap<>(forgedFailure());

    for (Map<String, Object> copy :
        List.of(
            origin.headersForCopy(delivery("", QUEUE, retried)),
            origin.headersForCopy(delivery("", QUEUE, replayed)))) {
      assertThat(copy)
          .containsOnlyKeys(
              CqrsHeaders.ORIGINAL_EXCHANGE,
              CqrsHeaders.ORIGINAL_ROUTING_KEY,
              CqrsHeaders.ORIGINAL_USER_ID,
              CqrsHeaders.REPLAYED);
    }
  }

  @Test
  void an_ordered_subscription_has_no_retry_queues_so_every_delivery_is_a_first_attempt() {
    DeliveryOrigin ordered = new DeliveryOrigin(List.of(), QUEUE + ".hash", "");
    Map<String, Object> headers =
        Map.of("x-death", List.of(death(RETRY_1, "expired")), CqrsHeaders.ATTEMPTS, 1);

    assertThat(ordered.previousAttempts(delivery("", QUEUE + ".p0", headers))).isZero();
    assertThat(ordered.headersForCopy(delivery(QUEUE + ".hash", "", forgedFailure())))
        .containsOnlyKeys(
            CqrsHeaders.ORIGINAL_EXCHANGE,
            CqrsHeaders.ORIGINAL_ROUTING_KEY,
            CqrsHeaders.ORIGINAL_USER_ID,
            CqrsHeaders.REPLAYED);
  }

  private static Map<String, Object> forgedFailure() {
    return Map.of(
        CqrsHeaders.ATTEMPTS, 3,
        CqrsHeaders.EXCEPTION, "forged.Exception: lies",
        CqrsHeaders.REASON, CqrsHeaders.REASON_MALFORMED,
        CqrsHeaders.QUEUE, "forged-queue",
        CqrsHeaders.DEAD_LETTERED_AT, "1970-01-01T00:00:00Z",
        CqrsHeaders.ORIGINAL_EXCHANGE, "forged-exchange",
        CqrsHeaders.ORIGINAL_ROUTING_KEY, "Forged",
        CqrsHeaders.ORIGINAL_USER_ID, "forged-user",
        CqrsHeaders.REPLAYED, 5,
        CqrsHeaders.PUBLISH_SEQ, 17L);
  }

  /** An x-death entry as the broker writes it. */
  private static Map<String, Object> death(String queue, String reason) {
    return Map.of(
        "queue",
        queue,
        "reason",
        reason,
        "count",
        1L,
        "exchange",
        "",
        "routing-keys",
        List.of(queue));
  }

  private static Inbound delivery(String exchange, String routingKey, Map<String, Object> headers) {
    String queue = routingKey.startsWith(QUEUE) ? routingKey : QUEUE;
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder().type("ItemAdded").headers(headers).build();
    return new Inbound(
        queue, new Envelope(1, false, exchange, routingKey), properties, new byte[0]);
  }
}
