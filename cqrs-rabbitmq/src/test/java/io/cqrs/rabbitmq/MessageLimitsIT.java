package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Messages beyond what AMQP carries fail their own publish with a clear message, and leave the
 * publishing channel's confirms in step: the client numbers a message before it encodes it, so one
 * it refused used to make every later publish wait for the next message's confirm.
 */
class MessageLimitsIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Short: without the fix, the publish after a refused message waits for it, then fails. */
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(5);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private final EventSerializer serializer = TestMessages.serializer();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("limits");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void a_correlation_id_longer_than_amqp_allows_fails_clearly_and_later_commands_are_confirmed() {
    RabbitCommandBus bus =
        namespace.track(
            namespace.commandBusBuilder(serializer).publishTimeout(PUBLISH_TIMEOUT).build());
    bus.subscribe("orders", Set.of("AddItem"), 1, command -> handled.add(command.messageId()));
    Command tooLong = Command.create(new TestMessages.AddItem("long", 1), "c".repeat(300));
    Command next = TestMessages.addItem("next");

    Throwable refused = catchThrowable(() -> bus.publish(tooLong));
    bus.publish(next);

    assertThat(refused)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("correlation_id property is 300 bytes long in UTF-8")
        .hasMessageContaining("at most 255");
    Await.until(WAIT, () -> "handled " + handled, () -> handled.contains(next.messageId()));
    assertThat(handled).doesNotContain(tooLong.messageId());
  }

  @Test
  void metadata_headers_larger_than_the_frame_max_fail_clearly_and_later_events_are_confirmed() {
    // The smallest frame_max RabbitMQ takes: the core bounds an event's metadata to 16384 chars,
    // which fit in the default 128 KiB frame.
    ConnectionFactory smallFrames = namespace.connectionFactory();
    smallFrames.setRequestedFrameMax(4096);
    RabbitEventBus bus =
        namespace.track(
            RabbitEventBus.builder(smallFrames, serializer)
                .prefix(namespace.prefix())
                .connectionName(namespace.prefix() + "-events")
                .publishTimeout(PUBLISH_TIMEOUT)
                .build());
    bus.subscribe("audit", 1, event -> handled.add(event.id()));
    VersionedEvent huge =
        TestMessages.event("huge", 1)
            .withMetadata(
                Map.of(
                    MetadataKey.TRACEPARENT.name(),
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                    MetadataKey.TRACESTATE.name(),
                    "x".repeat(10_000)));
    VersionedEvent next = TestMessages.event("next", 1);

    Throwable refused = catchThrowable(() -> bus.publish(List.of(huge)));
    bus.publish(List.of(next));

    assertThat(refused)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than the frame_max of 4096 bytes");
    Await.until(WAIT, () -> "handled " + handled, () -> handled.contains(next.id()));
    assertThat(handled).doesNotContain(huge.id());
  }

  /**
   * A body over the bus's maximum fails its own publish before anything is sent; the broker would
   * have closed the shared publishing channel over it, failing the others in flight.
   */
  @Test
  void a_body_over_the_maximum_fails_clearly_and_later_commands_are_confirmed() {
    RabbitCommandBus bus =
        namespace.track(
            namespace
                .commandBusBuilder(serializer)
                .publishTimeout(PUBLISH_TIMEOUT)
                .maxMessageBytes(4096)
                .build());
    bus.subscribe("orders", Set.of("AddItem"), 1, command -> handled.add(command.messageId()));
    Command tooLarge = Command.create(new TestMessages.AddItem("x".repeat(10_000), 1));
    Command next = TestMessages.addItem("next");

    Throwable refused = catchThrowable(() -> bus.publish(tooLarge));
    bus.publish(next);

    assertThat(refused)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than the bus's maxMessageBytes of 4096");
    Await.until(WAIT, () -> "handled " + handled, () -> handled.contains(next.messageId()));
    assertThat(handled).doesNotContain(tooLarge.messageId());
  }

  /**
   * The framework's copies of a message the broker took are not held to the bus's maximum: a
   * process with a smaller limit than the sender's still dead-letters it with its reason (refused,
   * the copy became a broker rejection that kept no reason).
   */
  @Test
  void a_dead_letter_copy_is_not_held_to_the_consuming_buss_maximum() {
    RabbitEventBus sender = namespace.track(namespace.eventBus(serializer));
    RabbitEventBus consumer =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .retryDelays()
                .maxMessageBytes(4096)
                .publishTimeout(PUBLISH_TIMEOUT)
                .build());
    consumer.subscribe(
        "audit",
        1,
        event -> {
          throw new io.cqrs.NonTransientCqrsException("cannot take it");
        });
    VersionedEvent large =
        new VersionedEvent(
            "large-event",
            "corr-large",
            null,
            "large",
            "tester",
            null,
            1,
            "ItemAdded",
            java.time.Instant.now(),
            new TestMessages.ItemAdded("x".repeat(8_000), 1), // a body over 4096 bytes
            Map.of());

    sender.publish(List.of(large));

    Await.until(WAIT, () -> "a dead letter", () -> consumer.deadLetterCount("audit") == 1);
    Map<String, Object> headers =
        namespace
            .withChannel(channel -> channel.basicGet(consumer.deadLetterQueue("audit"), true))
            .getProps()
            .getHeaders();
    assertThat(String.valueOf(headers.get(CqrsHeaders.REASON)))
        .isEqualTo(CqrsHeaders.REASON_NON_TRANSIENT);
  }

  @Test
  void a_message_the_client_refuses_after_numbering_it_does_not_shift_later_confirms() {
    String queue = namespace.prefix() + ".limits";
    namespace.deleteQueueOnClose(queue);
    namespace.withChannel(channel -> channel.queueDeclare(queue, true, false, false, null));
    BrokerConnection connection = namespace.brokerConnection("publisher", WAIT);
    try (connection;
        ConfirmingPublisher publisher =
            new ConfirmingPublisher(
                connection, 16, PUBLISH_TIMEOUT, RabbitBusBuilder.DEFAULT_MAX_MESSAGE_BYTES)) {
      // A header value the client cannot encode: MessageLimits passes it (it only measures), the
      // client numbers the message, then refuses it without sending anything.
      OutboundMessage unencodable = message(queue, Map.of("x-big", BigInteger.ONE));

      assertThatThrownBy(() -> publisher.publish(List.of(unencodable), PUBLISH_TIMEOUT))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid value");
      assertThat(publisher.publish(List.of(message(queue, Map.of())), PUBLISH_TIMEOUT)).isEmpty();
      assertThat(publisher.publish(List.of(message(queue, Map.of())), PUBLISH_TIMEOUT)).isEmpty();
    }
    long queued = namespace.withChannel(channel -> channel.messageCount(queue));
    assertThat(queued).as("messages in " + queue).isEqualTo(2);
  }

  private static OutboundMessage message(String queue, Map<String, Object> headers) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder().deliveryMode(2).type("Test").build();
    return new OutboundMessage(
        "", queue, "Test", properties, headers, "{}".getBytes(StandardCharsets.UTF_8));
  }
}
