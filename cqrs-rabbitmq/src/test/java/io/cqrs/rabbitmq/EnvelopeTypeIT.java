package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.rabbitmq.TestMessages.AddItem;
import io.cqrs.rabbitmq.TestMessages.ItemAdded;
import io.cqrs.rabbitmq.TestMessages.RemoveItem;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A message is routed, logged and dead-lettered by its {@code type} property and handled by the
 * envelope in its body; one whose two disagree is refused as malformed (issue 12, item 4).
 */
class EnvelopeTypeIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  /** A second event type, so that a body can name another event than its message does. */
  record ItemRemoved(String item) {}

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final EventSerializer serializer =
      new EventSerializer(
          new TypeRegistry()
              .registerEvents(ItemAdded.class, ItemRemoved.class)
              .registerCommands(AddItem.class, RemoveItem.class));
  private final Map<String, Object> handled = new ConcurrentHashMap<>();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("envelopes", QueueType.CLASSIC);
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void an_event_whose_type_property_disagrees_with_its_body_is_dead_lettered_and_later_ones_flow() {
    RabbitEventBus bus =
        namespace.track(
            namespace.eventBusBuilder(serializer).retryDelays(Duration.ofSeconds(5)).build());
    bus.subscribe("audit", 1, event -> handled.put(event.id(), event.event()));
    VersionedEvent removed = event(new ItemRemoved("book"));
    VersionedEvent untyped = event(new ItemRemoved("pen"));

    publishRaw(".events", "ItemAdded", "ItemAdded", serializer.serialize(removed));
    publishRaw(".events", "ItemRemoved", null, serializer.serialize(untyped));
    VersionedEvent later = event(new ItemAdded("lamp", 1));
    bus.publish(List.of(later));

    Await.until(WAIT, () -> "later event not handled", () -> handled.containsKey(later.id()));
    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("audit") == 1);
    assertThat(handled).containsOnlyKeys(untyped.id(), later.id());
    assertRefused(take(bus.deadLetterQueue("audit")), removed.id(), "ItemAdded", "ItemRemoved");
  }

  @Test
  void
      a_command_whose_type_property_disagrees_with_its_body_is_dead_lettered_and_later_ones_flow() {
    RabbitCommandBus bus =
        namespace.track(
            namespace.commandBusBuilder(serializer).retryDelays(Duration.ofSeconds(5)).build());
    bus.subscribe(
        "orders", Set.of("AddItem"), 1, command -> handled.put(command.messageId(), command));
    Command remove = Command.create(new RemoveItem("book"));

    // Routed as an AddItem to a service that never subscribed to RemoveItem.
    publishRaw(".commands", "AddItem", "AddItem", serializer.serialize(remove));
    Command later = Command.create(new AddItem("lamp", 1));
    bus.publish(later);

    Await.until(WAIT, () -> "later not handled", () -> handled.containsKey(later.messageId()));
    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("orders") == 1);
    assertThat(handled).containsOnlyKeys(later.messageId());
    assertRefused(take(bus.deadLetterQueue("orders")), remove.messageId(), "AddItem", "RemoveItem");
  }

  private static void assertRefused(GetResponse dead, String id, String claimed, String actual) {
    Map<String, Object> headers = dead.getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_MALFORMED);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(1);
    assertThat(text(headers, CqrsHeaders.EXCEPTION))
        .contains("SerializationException")
        .contains(id)
        .contains("'" + claimed + "'")
        .contains("'" + actual + "'");
  }

  private static VersionedEvent event(Object payload) {
    return new VersionedEvent(
        UUID.randomUUID().toString(),
        UUID.randomUUID().toString(),
        null,
        "stream-" + UUID.randomUUID(),
        null,
        null,
        1,
        TypeRegistry.logicalName(payload.getClass()),
        Instant.now(),
        payload,
        Map.of());
  }

  /** Publishes as a foreign client would, with a {@code type} property of its choosing. */
  private void publishRaw(String exchange, String routingKey, String type, byte[] body) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(type)
            .messageId("raw-" + UUID.randomUUID())
            .deliveryMode(2)
            .build();
    namespace.withChannel(
        channel -> {
          channel.basicPublish(namespace.prefix() + exchange, routingKey, properties, body);
          return null;
        });
  }

  private GetResponse take(String queue) {
    GetResponse response = namespace.withChannel(channel -> channel.basicGet(queue, true));
    assertThat(response).as("a message in " + queue).isNotNull();
    return response;
  }

  private static String text(Map<String, Object> headers, String name) {
    Object value = headers.get(name);
    return value == null ? null : value.toString();
  }
}
