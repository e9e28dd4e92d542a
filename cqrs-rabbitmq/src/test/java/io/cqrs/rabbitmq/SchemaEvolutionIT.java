package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import io.cqrs.EventSerializer;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events a publisher of an earlier version sends (an old revision, an old type name) reach today's
 * subscribers as today's events.
 */
class SchemaEvolutionIT {
  /** Revision 2 added the currency; earlier payments were in euros. */
  @TypeName(value = "Paid", revision = 2)
  record Paid(long amount, String currency) {}

  /** What the earlier version called "Refunded". */
  record Reimbursed(long amount) {}

  /** A command the earlier version called "Refund". */
  record Reimburse(String accountId, long amount) {}

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final EventSerializer serializer =
      new EventSerializer(
          new TypeRegistry()
              .registerEvents(Paid.class, Reimbursed.class)
              .registerCommands(Reimburse.class)
              .upcaster(Paid.class, 1, payload -> payload.put("currency", "EUR"))
              .alias("Refunded", Reimbursed.class)
              .alias("Refund", Reimburse.class));
  private final Map<String, VersionedEvent> handled = new ConcurrentHashMap<>();
  private RabbitNamespace namespace;

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("schema", QueueType.CLASSIC);
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void old_revisions_and_old_names_on_the_bus_are_delivered_as_todays_events() {
    RabbitEventBus bus = namespace.track(namespace.eventBusBuilder(serializer).build());
    bus.subscribe("ledger", 1, event -> handled.put(event.id(), event));

    publishAsEarlierVersion("Paid", "{\"amount\":12}");
    publishAsEarlierVersion("Refunded", "{\"amount\":3}");
    VersionedEvent today = VersionedEvent.of("acc-1", 3, new Paid(5, "USD"), "c-today");
    bus.publish(List.of(today));

    Await.until(WAIT, () -> "three events, got " + handled.values(), () -> handled.size() == 3);
    assertThat(handled.values())
        .extracting(VersionedEvent::eventType, VersionedEvent::event)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("Paid", new Paid(12, "EUR")),
            org.assertj.core.groups.Tuple.tuple("Reimbursed", new Reimbursed(3)),
            org.assertj.core.groups.Tuple.tuple("Paid", new Paid(5, "USD")));
    assertThat(bus.deadLetterCount("ledger")).isZero();
  }

  @Test
  void a_command_sent_under_its_old_name_reaches_the_handler_of_todays_type() {
    RabbitCommandBus bus = namespace.track(namespace.commandBusBuilder(serializer).build());
    Map<String, io.cqrs.Command> received = new ConcurrentHashMap<>();
    bus.subscribe(
        "refunds",
        java.util.Set.of("Reimburse"),
        1,
        command -> received.put(command.messageId(), command));

    io.cqrs.Command old = io.cqrs.Command.create(new Reimburse("acc-1", 4));
    String envelope =
        new String(serializer.serialize(old), StandardCharsets.UTF_8)
            .replace("\"Reimburse\"", "\"Refund\"");
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type("Refund")
            .messageId(old.messageId())
            .contentType("application/json")
            .deliveryMode(2)
            .build();
    namespace.withChannel(
        channel -> {
          channel.basicPublish(
              namespace.prefix() + ".commands",
              "Refund",
              true,
              properties,
              envelope.getBytes(StandardCharsets.UTF_8));
          return null;
        });
    bus.publish(io.cqrs.Command.create(new Reimburse("acc-2", 5)));

    Await.until(WAIT, () -> "two commands, got " + received.values(), () -> received.size() == 2);
    assertThat(received.get(old.messageId()).body()).isEqualTo(new Reimburse("acc-1", 4));
    assertThat(received.get(old.messageId()).commandType()).isEqualTo("Reimburse");
    assertThat(bus.deadLetterCount("refunds")).isZero();
  }

  /** As the earlier version's bus sent it: its type name as routing key and type property. */
  private void publishAsEarlierVersion(String type, String payload) {
    String id = UUID.randomUUID().toString();
    String envelope =
        """
        {"id":"%s","correlationId":"c-old","causationId":null,"sourceId":"acc-1","actor":null,\
        "onBehalfOf":null,"version":1,"eventType":"%s","created":"2024-01-02T03:04:05Z",\
        "event":%s,"metadata":{}}"""
            .formatted(id, type, payload);
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(type)
            .messageId(id)
            .contentType("application/json")
            .deliveryMode(2)
            .headers(Map.of(CqrsHeaders.SOURCE_ID, "acc-1", CqrsHeaders.VERSION, 1))
            .build();
    namespace.withChannel(
        channel -> {
          channel.basicPublish(
              namespace.prefix() + ".events",
              type,
              properties,
              envelope.getBytes(StandardCharsets.UTF_8));
          return null;
        });
  }
}
