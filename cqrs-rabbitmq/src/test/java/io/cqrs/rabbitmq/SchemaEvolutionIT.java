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

  /** Revision 1 carried the fee too, which revision 2 made an event of its own. */
  @TypeName(value = "Charged", revision = 2)
  record Charged(long amount) {}

  record FeeCharged(long amount) {}

  @Test
  void an_old_event_that_now_splits_reaches_handlers_as_its_parts_in_order_acked_after_all()
      throws Exception {
    EventSerializer splitting =
        new EventSerializer(
            new TypeRegistry()
                .registerEvents(Charged.class, FeeCharged.class)
                .splittingUpcaster(
                    Charged.class,
                    1,
                    List.of(Charged.class, FeeCharged.class),
                    charged -> {
                      com.fasterxml.jackson.databind.node.ObjectNode fee =
                          charged.objectNode().set("amount", charged.remove("fee"));
                      return List.of(
                          io.cqrs.SplittingUpcaster.part(Charged.class, 2, charged),
                          io.cqrs.SplittingUpcaster.part(FeeCharged.class, 1, fee));
                    }));
    RabbitEventBus bus =
        namespace.track(
            namespace
                .eventBusBuilder(splitting)
                .retryDelays(Duration.ofMillis(100), Duration.ofMillis(100))
                .build());
    java.util.List<VersionedEvent> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean failOnce =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    io.cqrs.SubscribingEventProcessor processor =
        io.cqrs.EventProcessor.subscribing(
                "charges", bus, new io.cqrs.memory.InMemoryEventStreamRepository())
            .handler(
                event -> {
                  got.add(event);
                  if (event.event() instanceof FeeCharged && failOnce.compareAndSet(true, false)) {
                    throw new IllegalStateException("the second part fails once");
                  }
                })
            .build();
    processor.start();
    try {
      publishAsEarlierVersion("Charged", "{\"amount\":20,\"fee\":2}");

      Await.until(WAIT, () -> "both parts twice, got " + got, () -> got.size() == 4);
      assertThat(got)
          .extracting(VersionedEvent::event)
          .containsExactly(new Charged(20), new FeeCharged(2), new Charged(20), new FeeCharged(2));
      assertThat(got).extracting(VersionedEvent::version).containsOnly(1L);
      assertThat(got.get(0).id()).endsWith("#1");
      assertThat(got.get(1).id()).endsWith("#2");
      assertThat(bus.deadLetterCount("charges")).isZero();

      // Read from a store and published again (by the relay, say): one message, the same parts.
      VersionedEvent split =
          splitting.deserializeEvent(
              """
              {"id":"e-9","correlationId":"c-9","sourceId":"acc-9","version":9,\
              "eventType":"Charged","created":"2024-01-02T03:04:05Z",\
              "event":{"amount":30,"fee":3}}"""
                  .getBytes(StandardCharsets.UTF_8));
      bus.publish(List.of(split));
      Await.until(WAIT, () -> "the republished parts, got " + got, () -> got.size() == 6);
      assertThat(got.subList(4, 6))
          .extracting(VersionedEvent::id, VersionedEvent::event)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("e-9#1", new Charged(30)),
              org.assertj.core.groups.Tuple.tuple("e-9#2", new FeeCharged(3)));
      assertThat(bus.deadLetterCount("charges")).isZero();
    } finally {
      processor.close();
    }
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
