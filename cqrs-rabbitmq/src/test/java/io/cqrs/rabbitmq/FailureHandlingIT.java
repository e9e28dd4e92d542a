package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.VersionedEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retries through the broker, dead letters and their replay, against the real broker. */
class FailureHandlingIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  /** The type of the queues the buses of this class declare; a subclass runs it on another. */
  protected QueueType queueType() {
    return QueueType.CLASSIC;
  }

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final EventSerializer serializer = TestMessages.serializer();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("failures", queueType());
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void a_handler_that_fails_twice_then_succeeds_is_retried_through_the_brokers_retry_queue() {
    Duration delay = Duration.ofMillis(1500);
    RabbitEventBus bus = eventBus(delay, delay);
    List<Instant> attempts = Collections.synchronizedList(new ArrayList<>());
    bus.subscribe(
        "flaky",
        1,
        event -> {
          attempts.add(Instant.now());
          if (attempts.size() <= 2) {
            throw new IllegalStateException("attempt " + attempts.size() + " fails");
          }
          handled.add(event.id());
        });
    VersionedEvent event = TestMessages.event("s", 1);

    bus.publish(List.of(event));

    String retryQueue = Names.retryQueue(namespace.prefix() + ".events.flaky", delay);
    namespace.withChannel(
        channel -> {
          Await.until(WAIT, () -> count(channel, retryQueue) == 1, () -> "event in " + retryQueue);
          return null;
        });
    Await.until(WAIT, () -> handled.contains(event.id()), () -> attempts.size() + " attempts");
    assertThat(attempts).hasSize(3);
    assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(delay);
    assertThat(Duration.between(attempts.get(1), attempts.get(2))).isGreaterThanOrEqualTo(delay);
    assertThat(bus.deadLetterCount("flaky")).isZero();
  }

  @Test
  void a_poison_event_ends_in_the_dead_letter_queue_with_its_reason_and_later_events_are_handled() {
    RabbitEventBus bus = eventBus(Duration.ofMillis(100), Duration.ofMillis(100));
    AtomicInteger poisonAttempts = new AtomicInteger();
    VersionedEvent poison = TestMessages.event("poisoned-stream", 1);
    bus.subscribe(
        "poisoned",
        1,
        event -> {
          if (event.id().equals(poison.id())) {
            poisonAttempts.incrementAndGet();
            throw new IllegalStateException("poison " + event.id());
          }
          handled.add(event.id());
        });
    List<VersionedEvent> later = TestMessages.events(5);

    bus.publish(List.of(poison));
    bus.publish(later);

    Await.until(WAIT, () -> handled.containsAll(ids(later)), () -> "handled " + handled);
    Await.until(WAIT, () -> bus.deadLetterCount("poisoned") == 1, () -> "no dead letter");
    assertThat(poisonAttempts).hasValue(3);
    GetResponse dead = take(bus.deadLetterQueue("poisoned"));
    Map<String, Object> headers = dead.getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_HANDLER_FAILED);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(3);
    assertThat(text(headers, CqrsHeaders.EXCEPTION))
        .startsWith("java.lang.IllegalStateException: poison " + poison.id());
    assertThat(text(headers, CqrsHeaders.ORIGINAL_EXCHANGE))
        .isEqualTo(namespace.prefix() + ".events");
    assertThat(text(headers, CqrsHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo("ItemAdded");
    assertThat(text(headers, CqrsHeaders.QUEUE)).isEqualTo(namespace.prefix() + ".events.poisoned");
    assertThat(text(headers, CqrsHeaders.DEAD_LETTERED_AT)).isNotBlank();
    assertThat(dead.getProps().getMessageId()).isEqualTo(poison.id());
    assertThat(dead.getProps().getDeliveryMode()).isEqualTo(2);
    assertThat(serializer.deserializeEvent(dead.getBody())).isEqualTo(poison);
  }

  @Test
  void malformed_bodies_and_unknown_types_go_straight_to_the_dead_letter_queue() throws Exception {
    RabbitEventBus bus = eventBus(Duration.ofSeconds(5));
    AtomicInteger calls = new AtomicInteger();
    bus.subscribe(
        "strict",
        1,
        event -> {
          calls.incrementAndGet();
          handled.add(event.id());
        });
    ObjectNode unknown = serializer.toTree(TestMessages.event("u", 1));
    unknown.put("eventType", "NoSuchEvent");
    publishRaw("ItemAdded", "{not json".getBytes(StandardCharsets.UTF_8));
    publishRaw("NoSuchEvent", serializer.mapper().writeValueAsBytes(unknown));
    VersionedEvent valid = TestMessages.event("v", 1);

    bus.publish(List.of(valid));

    Await.until(WAIT, () -> handled.contains(valid.id()), () -> "valid event not handled");
    Await.until(WAIT, () -> bus.deadLetterCount("strict") == 2, () -> "dead letters missing");
    assertThat(calls).as("consumer calls").hasValue(1);
    List<GetResponse> dead =
        List.of(take(bus.deadLetterQueue("strict")), take(bus.deadLetterQueue("strict")));
    assertThat(dead)
        .extracting(d -> text(d.getProps().getHeaders(), CqrsHeaders.REASON))
        .containsExactlyInAnyOrder(CqrsHeaders.REASON_MALFORMED, CqrsHeaders.REASON_UNKNOWN_TYPE);
    assertThat(dead)
        .extracting(d -> d.getProps().getHeaders().get(CqrsHeaders.ATTEMPTS))
        .containsOnly(1);
    assertThat(dead)
        .extracting(d -> text(d.getProps().getHeaders(), CqrsHeaders.EXCEPTION))
        .anySatisfy(e -> assertThat(e).contains("SerializationException"))
        .anySatisfy(e -> assertThat(e).contains("UnknownTypeException").contains("NoSuchEvent"));
  }

  @Test
  void a_non_transient_failure_is_dead_lettered_without_retries() {
    RabbitEventBus bus = eventBus(Duration.ofSeconds(5), Duration.ofSeconds(5));
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe(
        "hopeless",
        1,
        event -> {
          attempts.incrementAndGet();
          throw new NonTransientCqrsException("no retry can fix this");
        });

    bus.publish(List.of(TestMessages.event("h", 1)));

    Await.until(WAIT, () -> bus.deadLetterCount("hopeless") == 1, () -> "no dead letter");
    assertThat(attempts).hasValue(1);
    assertThat(
            text(take(bus.deadLetterQueue("hopeless")).getProps().getHeaders(), CqrsHeaders.REASON))
        .isEqualTo(CqrsHeaders.REASON_NON_TRANSIENT);
  }

  @Test
  void replayed_dead_letters_go_back_to_their_own_subscription_only() {
    RabbitEventBus bus = eventBus(Duration.ofMillis(50));
    AtomicBoolean broken = new AtomicBoolean(true);
    Map<String, AtomicInteger> otherDeliveries = new ConcurrentHashMap<>();
    bus.subscribe(
        "fragile",
        1,
        event -> {
          if (broken.get()) {
            throw new IllegalStateException("not yet");
          }
          handled.add(event.id());
        });
    bus.subscribe(
        "other",
        1,
        event ->
            otherDeliveries
                .computeIfAbsent(event.id(), k -> new AtomicInteger())
                .incrementAndGet());
    VersionedEvent event = TestMessages.event("r", 1);
    bus.publish(List.of(event));
    Await.until(WAIT, () -> bus.deadLetterCount("fragile") == 1, () -> "no dead letter");

    broken.set(false);
    long replayed = bus.replayDeadLetters("fragile", 10);

    assertThat(replayed).isEqualTo(1);
    Await.until(WAIT, () -> handled.contains(event.id()), () -> "replayed event not handled");
    assertThat(bus.deadLetterCount("fragile")).isZero();
    assertThat(otherDeliveries.get(event.id()))
        .as("deliveries to the other subscription")
        .hasValue(1);
  }

  @Test
  void a_failing_command_is_dead_lettered_with_its_route_and_can_be_replayed() {
    RabbitCommandBus bus =
        namespace.track(
            namespace.commandBusBuilder(serializer).retryDelays(Duration.ofMillis(50)).build());
    AtomicBoolean broken = new AtomicBoolean(true);
    bus.subscribe(
        "orders",
        Set.of("AddItem"),
        1,
        command -> {
          if (broken.get()) {
            throw new IllegalStateException("orders are down");
          }
          handled.add(command.messageId());
        });
    Command command = TestMessages.addItem("book");
    bus.publish(command);
    Await.until(WAIT, () -> bus.deadLetterCount("orders") == 1, () -> "no dead letter");

    Map<String, Object> headers = peek(bus.deadLetterQueue("orders")).getProps().getHeaders();
    broken.set(false);
    long replayed = bus.replayDeadLetters("orders", 10);

    assertThat(text(headers, CqrsHeaders.ORIGINAL_EXCHANGE))
        .isEqualTo(namespace.prefix() + ".commands");
    assertThat(text(headers, CqrsHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo("AddItem");
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(2);
    assertThat(replayed).isEqualTo(1);
    Await.until(
        WAIT, () -> handled.contains(command.messageId()), () -> "replayed command not handled");
  }

  private RabbitEventBus eventBus(Duration... retryDelays) {
    return namespace.track(namespace.eventBusBuilder(serializer).retryDelays(retryDelays).build());
  }

  private void publishRaw(String type, byte[] body) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(type)
            .messageId("raw-" + type)
            .deliveryMode(2)
            .build();
    namespace.withChannel(
        channel -> {
          channel.basicPublish(namespace.prefix() + ".events", type, properties, body);
          return null;
        });
  }

  /** Takes the next message of a queue. */
  private GetResponse take(String queue) {
    GetResponse response = namespace.withChannel(channel -> channel.basicGet(queue, true));
    assertThat(response).as("a message in " + queue).isNotNull();
    return response;
  }

  /** Reads the next message of a queue and leaves it there. */
  private GetResponse peek(String queue) {
    GetResponse response = namespace.withChannel(channel -> channel.basicGet(queue, false));
    assertThat(response).as("a message in " + queue).isNotNull();
    return response;
  }

  private static long count(Channel channel, String queue) {
    try {
      return channel.messageCount(queue);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(Map<String, Object> headers, String name) {
    Object value = headers.get(name);
    return value == null ? null : value.toString();
  }

  private static Set<String> ids(List<VersionedEvent> events) {
    return events.stream().map(VersionedEvent::id).collect(Collectors.toSet());
  }
}
