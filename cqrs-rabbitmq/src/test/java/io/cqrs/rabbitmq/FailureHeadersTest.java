package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The headers a retried, dead-lettered or replayed copy carries. */
class FailureHeadersTest {

  @Test
  void copies_drop_what_the_broker_and_the_publisher_added_and_keep_the_rest() {
    Map<String, Object> headers =
        FailureRouter.withoutBrokerHeaders(
            Map.of(
                "x-death",
                List.of(),
                "x-first-death-queue",
                "q",
                "x-last-death-reason",
                "expired",
                CqrsHeaders.PUBLISH_SEQ,
                17L,
                CqrsHeaders.SOURCE_ID,
                "account-1"));

    assertThat(headers).containsOnlyKeys(CqrsHeaders.SOURCE_ID);
  }

  @Test
  void copies_and_replays_drop_the_sender_selected_routes_that_would_send_them_to_more_queues() {
    Map<String, Object> forged =
        Map.of(
            "CC",
            List.of("shop.events.billing"),
            "BCC",
            List.of("shop.commands.payments"),
            CqrsHeaders.SOURCE_ID,
            "account-1");

    assertThat(FailureRouter.withoutBrokerHeaders(forged)).containsOnlyKeys(CqrsHeaders.SOURCE_ID);
    assertThat(DeadLetters.replayHeaders(forged))
        .containsOnlyKeys(CqrsHeaders.SOURCE_ID, CqrsHeaders.REPLAYED);
  }

  @Test
  void a_copy_carries_the_original_user_id_in_a_header_not_in_the_property_the_broker_checks() {
    AMQP.BasicProperties original =
        new AMQP.BasicProperties.Builder().userId("api").messageId("m-1").type("AddItem").build();
    Map<String, Object> headers = new HashMap<>(Map.of(CqrsHeaders.SOURCE_ID, "account-1"));

    AMQP.BasicProperties copy = FailureRouter.copyProperties(original, headers).build();

    assertThat(copy.getUserId()).isNull();
    assertThat(copy.getMessageId()).isEqualTo("m-1");
    assertThat(copy.getHeaders())
        .containsEntry(CqrsHeaders.ORIGINAL_USER_ID, "api")
        .containsEntry(CqrsHeaders.SOURCE_ID, "account-1");
  }

  @Test
  void a_replayed_copy_loses_its_failure_and_counts_its_replays() {
    Map<String, Object> dead =
        Map.of(
            CqrsHeaders.ATTEMPTS, 4,
            CqrsHeaders.EXCEPTION, "java.lang.IllegalStateException: boom",
            CqrsHeaders.REASON, CqrsHeaders.REASON_HANDLER_FAILED,
            CqrsHeaders.QUEUE, "shop.events.p",
            CqrsHeaders.DEAD_LETTERED_AT, "2024-01-01T00:00:00Z",
            CqrsHeaders.ORIGINAL_EXCHANGE, "shop.events",
            CqrsHeaders.ORIGINAL_ROUTING_KEY, "ItemAdded",
            CqrsHeaders.REPLAYED, 1);

    Map<String, Object> replayed = DeadLetters.replayHeaders(dead);

    assertThat(replayed)
        .containsOnlyKeys(
            CqrsHeaders.ORIGINAL_EXCHANGE, CqrsHeaders.ORIGINAL_ROUTING_KEY, CqrsHeaders.REPLAYED)
        .containsEntry(CqrsHeaders.REPLAYED, 2);
    assertThat(DeadLetters.replayHeaders(null)).containsEntry(CqrsHeaders.REPLAYED, 1);
  }

  @Test
  void a_failure_is_described_with_its_causes_and_bounded_for_a_header() {
    Exception failure =
        new IllegalStateException(
            "outer", new IllegalArgumentException("inner " + "x".repeat(9000)));

    String description = Failures.describe(failure);

    assertThat(description)
        .startsWith("java.lang.IllegalStateException: outer")
        .contains("\tat io.cqrs.rabbitmq.FailureHeadersTest")
        .contains("Caused by: java.lang.IllegalArgumentException: inner")
        .hasSizeLessThanOrEqualTo(4000)
        .endsWith("...");
  }
}
