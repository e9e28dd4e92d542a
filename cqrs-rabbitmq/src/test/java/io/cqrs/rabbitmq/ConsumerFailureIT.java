package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.BusHealth;
import io.cqrs.testing.Await;
import io.cqrs.testing.ConsumerFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of {@link Throwable} a consumer throws, and listeners the broker takes away, against
 * the real broker: what lands in the dead-letter queue, what stays in the queue, and what {@code
 * health()} says.
 */
class ConsumerFailureIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration RETRY = Duration.ofMillis(100);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private final EventSerializer serializer = TestMessages.serializer();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("survival");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void a_consumer_that_leaves_the_interrupt_flag_set_does_not_end_its_listener() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    AtomicBoolean interrupted = new AtomicBoolean();
    bus.subscribe(
        "interrupted",
        1,
        event -> {
          handled.add(event.id());
          if (interrupted.compareAndSet(false, true)) {
            // As a handler does that catches InterruptedException and restores the flag.
            Thread.currentThread().interrupt();
          }
        });
    VersionedEvent first = TestMessages.event("first", 1);
    bus.publish(List.of(first));
    Await.until(WAIT, () -> "the first event", () -> handled.contains(first.id()));

    List<VersionedEvent> later = TestMessages.events(10);
    bus.publish(later);

    Await.until(
        WAIT,
        () -> handled.size() + " handled, health " + bus.health(),
        () -> later.stream().map(VersionedEvent::id).allMatch(handled::contains));
    assertThat(bus.health().consumers()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(mode = EnumSource.Mode.EXCLUDE, names = "OUT_OF_MEMORY_ERROR")
  void a_non_fatal_throwable_is_retried_then_dead_lettered_with_its_class_and_later_events_flow(
      ConsumerFailure failure) {
    RabbitEventBus bus =
        namespace.track(namespace.eventBusBuilder(serializer).retryDelays(RETRY, RETRY).build());
    AtomicInteger poisonAttempts = new AtomicInteger();
    VersionedEvent poison = TestMessages.event("poisoned", 1);
    bus.subscribe("throwing", 1, poisonedBy(poison.id(), poisonAttempts, failure));
    List<VersionedEvent> later = TestMessages.events(3);

    bus.publish(List.of(poison));
    bus.publish(later);

    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("throwing") == 1);
    assertThat(poisonAttempts).hasValue(3);
    Map<String, Object> headers = take(bus.deadLetterQueue("throwing")).getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_HANDLER_FAILED);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(3);
    assertThat(text(headers, CqrsHeaders.EXCEPTION)).startsWith(failure.type().getName());
    // The listener outlived the last attempt too.
    VersionedEvent last = TestMessages.event("after-the-dead-letter", 1);
    bus.publish(List.of(last));
    Await.until(WAIT, () -> "handled " + handled, () -> handled.containsAll(ids(later, last)));
    assertHealthy(bus.health(), 1);
  }

  @ParameterizedTest
  @EnumSource(names = {"STACK_OVERFLOW_ERROR", "NO_CLASS_DEF_FOUND_ERROR", "PLAIN_ERROR"})
  void in_an_ordered_subscription_a_non_fatal_error_is_retried_in_place_then_dead_lettered(
      ConsumerFailure failure) {
    RabbitEventBus bus =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .orderedSubscriptions("ordered")
                .partitions(2)
                .retryDelays(RETRY, RETRY)
                .build());
    AtomicInteger poisonAttempts = new AtomicInteger();
    List<VersionedEvent> stream = TestMessages.stream("ordered-stream", 3);
    bus.subscribe("ordered", 1, poisonedBy(stream.get(0).id(), poisonAttempts, failure));

    bus.publish(stream);

    Await.until(
        WAIT, () -> "handled " + handled, () -> handled.containsAll(ids(stream.subList(1, 3))));
    assertThat(poisonAttempts).hasValue(3);
    assertThat(bus.deadLetterCount("ordered")).isOne();
    assertThat(
            text(
                take(bus.deadLetterQueue("ordered")).getProps().getHeaders(),
                CqrsHeaders.EXCEPTION))
        .startsWith(failure.type().getName());
    assertHealthy(bus.health(), 1);
  }

  @Test
  void a_fatal_error_leaves_the_command_in_its_queue_with_no_consumer_and_the_bus_unhealthy() {
    RabbitCommandBus bus = namespace.commandBus(serializer);
    AtomicInteger calls = new AtomicInteger();
    bus.subscribe(
        "fatal",
        Set.of("AddItem"),
        2,
        command -> {
          calls.incrementAndGet();
          ConsumerFailure.OUT_OF_MEMORY_ERROR.throwIt();
        });
    Command command = TestMessages.addItem("fatal");
    String queue = namespace.prefix() + ".commands.fatal";

    bus.publish(command);

    Await.until(WAIT, () -> "health " + bus.health(), () -> bus.health().needsRestart());
    Await.until(
        WAIT,
        () -> "queue " + queue + ": " + queueState(queue),
        () ->
            queueState(queue).getMessageCount() == 1 && queueState(queue).getConsumerCount() == 0);
    BusHealth health = bus.health();
    assertThat(health.healthy()).isFalse();
    assertThat(health.consumers()).isZero();
    assertThat(health.lastFailure().description())
        .contains("java.lang.OutOfMemoryError: poison: simulated out of memory")
        .contains(command.messageId());
    assertThat(calls).hasValue(1);
    assertThat(bus.deadLetterCount("fatal")).isZero();
  }

  @Test
  void a_fatal_error_in_an_ordered_subscription_leaves_the_event_in_its_partition() {
    RabbitEventBus bus =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .orderedSubscriptions("ordered-fatal")
                .partitions(2)
                .build());
    bus.subscribe("ordered-fatal", 2, event -> ConsumerFailure.OUT_OF_MEMORY_ERROR.throwIt());
    String queue = namespace.prefix() + ".events.ordered-fatal";

    bus.publish(List.of(TestMessages.event("ordered-stream", 1)));

    Await.until(WAIT, () -> "health " + bus.health(), () -> bus.health().needsRestart());
    Await.until(
        WAIT,
        () -> "the event back in its partition",
        () ->
            queueState(Names.partition(queue, 0)).getMessageCount()
                    + queueState(Names.partition(queue, 1)).getMessageCount()
                == 1);
    assertThat(bus.health().consumers()).isZero();
    assertThat(bus.deadLetterCount("ordered-fatal")).isZero();
  }

  @Test
  void a_listener_whose_queue_was_deleted_no_longer_counts_and_the_bus_needs_a_restart() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    bus.subscribe("doomed", 2, event -> {});
    bus.subscribe("kept", 1, event -> handled.add(event.id()));
    assertHealthy(bus.health(), 3);

    namespace.withChannel(channel -> channel.queueDelete(namespace.prefix() + ".events.doomed"));

    Await.until(WAIT, () -> "health " + bus.health(), () -> bus.health().consumers() == 1);
    BusHealth health = bus.health();
    assertThat(health.healthy()).isFalse();
    assertThat(health.needsRestart()).isTrue();
    assertThat(health.lastFailure().description()).contains(".events.doomed").contains("cancel");
    VersionedEvent event = TestMessages.event("still-flowing", 1);
    bus.publish(List.of(event));
    Await.until(WAIT, () -> "the kept subscription", () -> handled.contains(event.id()));
  }

  @Test
  void listeners_count_again_once_their_connection_has_recovered() {
    namespace.requireAdmin();
    RabbitEventBus bus = namespace.eventBus(serializer);
    bus.subscribe("recovering", 2, event -> handled.add(event.id()));
    assertHealthy(bus.health(), 2);

    namespace.forceCloseConnections();

    Await.until(WAIT, () -> "the loss recorded", () -> bus.health().lastFailure() != null);
    Await.until(
        WAIT,
        () -> "health " + bus.health(),
        () -> bus.health().healthy() && bus.health().consumers() == 2);
    assertThat(bus.health().needsRestart()).isFalse();
    assertThat(bus.health().lastFailure().description()).contains("lost its channel");
    VersionedEvent event = TestMessages.event("after-recovery", 1);
    bus.publish(List.of(event));
    Await.until(WAIT, () -> "the event after recovery", () -> handled.contains(event.id()));
  }

  private io.cqrs.VersionedEventHandler poisonedBy(
      String poisonId, AtomicInteger poisonAttempts, ConsumerFailure failure) {
    return event -> {
      if (event.id().equals(poisonId)) {
        poisonAttempts.incrementAndGet();
        failure.throwIt();
      }
      handled.add(event.id());
    };
  }

  private AMQP.Queue.DeclareOk queueState(String queue) {
    return namespace.withChannel(channel -> channel.queueDeclarePassive(queue));
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

  private static List<String> ids(List<VersionedEvent> events, VersionedEvent... more) {
    List<String> ids = new ArrayList<>(events.stream().map(VersionedEvent::id).toList());
    for (VersionedEvent event : more) {
      ids.add(event.id());
    }
    return ids;
  }

  /** Healthy with that many consumers, no failure, and both connections up on a node. */
  private static void assertHealthy(BusHealth health, int consumers) {
    assertThat(new BusHealth(health.healthy(), health.consumers(), health.lastFailure()))
        .isEqualTo(BusHealth.healthy(consumers));
    assertThat(health.connections())
        .extracting(BusHealth.Connection::name)
        .allMatch(name -> name.endsWith("/publish") || name.endsWith("/consume"))
        .hasSize(2);
    assertThat(health.connections())
        .allSatisfy(
            connection -> {
              assertThat(connection.connected()).isTrue();
              assertThat(connection.node()).matches(".+:\\d+");
              assertThat(connection.downSince()).isNull();
            });
  }
}
