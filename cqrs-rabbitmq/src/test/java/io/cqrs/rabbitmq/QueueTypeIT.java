package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What {@link QueueType#QUORUM} declares on the real broker, and a bus of the other type. */
class QueueTypeIT {
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  /** The broker's reply to declaring a quorum queue as a classic one. */
  private static final String QUORUM_ALREADY = "received 'classic' but current is 'quorum'";

  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("queue-type", QueueType.QUORUM);
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void every_queue_of_a_quorum_subscription_and_service_is_a_quorum_queue() {
    namespace.requireAdmin();
    RabbitEventBus events =
        namespace.track(
            namespace.eventBusBuilder(serializer).retryDelays(Duration.ofSeconds(1)).build());
    events.subscribe("typed", 1, event -> {});
    RabbitCommandBus commands = namespace.commandBus(serializer);
    commands.subscribe("typed", Set.of("AddItem"), 1, command -> {});
    String eventQueue = namespace.prefix() + ".events.typed";
    String commandQueue = namespace.prefix() + ".commands.typed";
    List<String> expected = new ArrayList<>();
    for (String queue : List.of(eventQueue, commandQueue)) {
      expected.add(queue);
      expected.add(Names.deadLetterQueue(queue));
    }
    expected.add(Names.retryQueue(eventQueue, Duration.ofSeconds(1)));

    Map<String, String> ours = typesOfThisNamespace();

    assertThat(ours.keySet()).containsAll(expected);
    assertThat(ours).allSatisfy((queue, type) -> assertThat(type).as(queue).isEqualTo("quorum"));
  }

  @Test
  void a_classic_bus_on_a_quorum_subscription_fails_with_the_brokers_reason_and_changes_nothing() {
    namespace.requireAdmin();
    namespace.track(namespace.eventBusBuilder(serializer).build()).subscribe("shared", 1, e -> {});
    RabbitEventBus classic =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .queueType(QueueType.CLASSIC)
                .connectionName(namespace.prefix() + "-classic")
                .build());

    assertThatThrownBy(() -> classic.subscribe("shared", 1, event -> {}))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("PRECONDITION_FAILED")
        .hasMessageContaining("inequivalent arg");
    assertThat(typesOfThisNamespace())
        .containsEntry(namespace.prefix() + ".events.shared", "quorum");
  }

  private Map<String, String> typesOfThisNamespace() {
    Map<String, String> ours = new HashMap<>();
    namespace
        .broker()
        .queueTypes()
        .forEach(
            (queue, type) -> {
              if (queue.startsWith(namespace.prefix() + ".")) {
                ours.put(queue, type);
              }
            });
    return ours;
  }
}
