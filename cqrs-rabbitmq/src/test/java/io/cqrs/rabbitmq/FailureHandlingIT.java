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
import io.cqrs.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
          Await.until(WAIT, () -> "event in " + retryQueue, () -> count(channel, retryQueue) == 1);
          return null;
        });
    Await.until(WAIT, () -> attempts.size() + " attempts", () -> handled.contains(event.id()));
    assertThat(attempts).hasSize(3);
    // The broker times the message TTL on Erlang's corrected clock, which may run up to 1% apart
    // from the JVM's; an immediate retry would show a gap of milliseconds, not most of the delay.
    Duration atLeast = delay.minus(delay.dividedBy(20));
    assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(atLeast);
    assertThat(Duration.between(attempts.get(1), attempts.get(2))).isGreaterThanOrEqualTo(atLeast);
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

    Await.until(WAIT, () -> "handled " + handled, () -> handled.containsAll(ids(later)));
    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("poisoned") == 1);
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
    // Written by a newer version of the application (a rolling deployment): not malformed, which
    // an operator would purge, but waiting for this consumer's upgrade.
    publishRaw(
        "ItemAdded",
        new String(serializer.serialize(TestMessages.event("n", 1)), StandardCharsets.UTF_8)
            .replace(",\"event\":", ",\"revision\":99,\"event\":")
            .getBytes(StandardCharsets.UTF_8));
    VersionedEvent valid = TestMessages.event("v", 1);

    bus.publish(List.of(valid));

    Await.until(WAIT, () -> "valid event not handled", () -> handled.contains(valid.id()));
    Await.until(WAIT, () -> "dead letters missing", () -> bus.deadLetterCount("strict") == 3);
    assertThat(calls).as("consumer calls").hasValue(1);
    List<GetResponse> dead =
        List.of(
            take(bus.deadLetterQueue("strict")),
            take(bus.deadLetterQueue("strict")),
            take(bus.deadLetterQueue("strict")));
    assertThat(dead)
        .extracting(d -> text(d.getProps().getHeaders(), CqrsHeaders.REASON))
        .containsExactlyInAnyOrder(
            CqrsHeaders.REASON_MALFORMED,
            CqrsHeaders.REASON_UNKNOWN_TYPE,
            CqrsHeaders.REASON_NEWER_REVISION);
    assertThat(dead)
        .extracting(d -> d.getProps().getHeaders().get(CqrsHeaders.ATTEMPTS))
        .containsOnly(1);
    assertThat(dead)
        .extracting(d -> text(d.getProps().getHeaders(), CqrsHeaders.EXCEPTION))
        .anySatisfy(e -> assertThat(e).contains("SerializationException"))
        .anySatisfy(e -> assertThat(e).contains("UnknownTypeException").contains("NoSuchEvent"))
        .anySatisfy(e -> assertThat(e).contains("NewerRevisionException").contains("revision 99"));
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

    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("hopeless") == 1);
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
    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("fragile") == 1);

    broken.set(false);
    long replayed = bus.replayDeadLetters("fragile", 10);

    assertThat(replayed).isEqualTo(1);
    Await.until(WAIT, () -> "replayed event not handled", () -> handled.contains(event.id()));
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
    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("orders") == 1);

    Map<String, Object> headers = peek(bus.deadLetterQueue("orders")).getProps().getHeaders();
    // The peeked message goes back when its channel closes; a quorum queue takes it back a moment
    // later, and a replay that ran before would find the queue empty.
    Await.until(
        WAIT, () -> "the peeked dead letter back", () -> bus.deadLetterCount("orders") == 1);
    broken.set(false);
    long replayed = bus.replayDeadLetters("orders", 10);

    assertThat(text(headers, CqrsHeaders.ORIGINAL_EXCHANGE))
        .isEqualTo(namespace.prefix() + ".commands");
    assertThat(text(headers, CqrsHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo("AddItem");
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(2);
    assertThat(replayed).isEqualTo(1);
    Await.until(
        WAIT, () -> "replayed command not handled", () -> handled.contains(command.messageId()));
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 99, Integer.MAX_VALUE, 0, -1})
  void a_forged_attempts_header_is_ignored_and_the_event_gets_every_attempt(int forged)
      throws Exception {
    RabbitEventBus bus = eventBus(Duration.ofMillis(50), Duration.ofMillis(50));
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe(
        "forged",
        1,
        event -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("always fails");
        });
    VersionedEvent event = TestMessages.event("f", 1);

    publishRaw(event, Map.of(CqrsHeaders.ATTEMPTS, forged));

    Await.until(WAIT, () -> attempts + " attempts", () -> bus.deadLetterCount("forged") == 1);
    assertThat(attempts).hasValue(3);
    Map<String, Object> headers = take(bus.deadLetterQueue("forged")).getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_HANDLER_FAILED);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(3);
    assertThat(text(headers, CqrsHeaders.EXCEPTION))
        .startsWith("java.lang.IllegalStateException: always fails");
  }

  @Test
  void a_forged_broker_death_record_does_not_make_a_fresh_event_a_retry() throws Exception {
    RabbitEventBus bus = eventBus(Duration.ofMillis(50), Duration.ofMillis(50));
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe(
        "forged-death",
        1,
        event -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("always fails");
        });
    String queue = namespace.prefix() + ".events.forged-death";
    String lastRetryQueue = Names.retryQueue(queue, Duration.ofMillis(50));
    Map<String, Object> death =
        Map.of(
            "queue",
            lastRetryQueue,
            "reason",
            "expired",
            "count",
            1L,
            "exchange",
            "",
            "routing-keys",
            List.of(lastRetryQueue));

    publishRaw(
        TestMessages.event("d", 1), Map.of("x-death", List.of(death), CqrsHeaders.ATTEMPTS, 2));

    Await.until(WAIT, () -> attempts + " attempts", () -> bus.deadLetterCount("forged-death") == 1);
    assertThat(attempts).hasValue(3);
  }

  @Test
  void forged_failure_headers_on_a_fresh_event_do_not_reach_the_dead_letter_queue()
      throws Exception {
    RabbitEventBus bus = eventBus(Duration.ofMillis(50));
    bus.subscribe(
        "forged-headers",
        1,
        event -> {
          throw new NonTransientCqrsException("no retry can fix this");
        });
    Map<String, Object> forged = new HashMap<>();
    forged.put(CqrsHeaders.REASON, "forged-reason");
    forged.put(CqrsHeaders.EXCEPTION, "forged.Exception: lies");
    forged.put(CqrsHeaders.ORIGINAL_EXCHANGE, "forged-exchange");
    forged.put(CqrsHeaders.ORIGINAL_ROUTING_KEY, "ForgedKey");
    forged.put(CqrsHeaders.QUEUE, "forged-queue");
    forged.put(CqrsHeaders.DEAD_LETTERED_AT, "1970-01-01T00:00:00Z");
    forged.put(CqrsHeaders.REPLAYED, 7);
    forged.put(CqrsHeaders.ATTEMPTS, 2);
    forged.put("x-tenant", "kept: not the framework's");

    publishRaw(TestMessages.event("h", 1), forged);

    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("forged-headers") == 1);
    Map<String, Object> headers =
        take(bus.deadLetterQueue("forged-headers")).getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_NON_TRANSIENT);
    assertThat(text(headers, CqrsHeaders.EXCEPTION))
        .startsWith(NonTransientCqrsException.class.getName() + ": no retry can fix this");
    assertThat(text(headers, CqrsHeaders.ORIGINAL_EXCHANGE))
        .isEqualTo(namespace.prefix() + ".events");
    assertThat(text(headers, CqrsHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo("ItemAdded");
    assertThat(text(headers, CqrsHeaders.QUEUE))
        .isEqualTo(namespace.prefix() + ".events.forged-headers");
    assertThat(text(headers, CqrsHeaders.DEAD_LETTERED_AT)).isNotEqualTo("1970-01-01T00:00:00Z");
    assertThat(headers).doesNotContainKey(CqrsHeaders.REPLAYED);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(1);
    assertThat(text(headers, "x-tenant")).isEqualTo("kept: not the framework's");
  }

  @Test
  void a_malformed_event_with_a_forged_reason_is_dead_lettered_with_the_real_one() {
    RabbitEventBus bus = eventBus(Duration.ofMillis(50));
    bus.subscribe("strict-forged", 1, event -> handled.add(event.id()));

    publishRaw(
        "ItemAdded",
        "{not json".getBytes(StandardCharsets.UTF_8),
        Map.of(CqrsHeaders.REASON, CqrsHeaders.REASON_NON_TRANSIENT, CqrsHeaders.ATTEMPTS, 9));

    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("strict-forged") == 1);
    Map<String, Object> headers =
        take(bus.deadLetterQueue("strict-forged")).getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_MALFORMED);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(1);
  }

  @Test
  void a_replayed_dead_letter_that_fails_again_keeps_its_first_route_and_counts_the_replay() {
    RabbitEventBus bus = eventBus(Duration.ofMillis(50));
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe(
        "replayed",
        1,
        event -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("still broken");
        });
    bus.publish(List.of(TestMessages.event("again", 1)));
    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("replayed") == 1);

    bus.replayDeadLetters("replayed", 1);

    Await.until(WAIT, () -> attempts + " attempts", () -> attempts.get() == 4);
    Await.until(WAIT, () -> "no dead letter again", () -> bus.deadLetterCount("replayed") == 1);
    Map<String, Object> headers = take(bus.deadLetterQueue("replayed")).getProps().getHeaders();
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(2);
    assertThat(headers.get(CqrsHeaders.REPLAYED)).isEqualTo(1);
    assertThat(text(headers, CqrsHeaders.ORIGINAL_EXCHANGE))
        .isEqualTo(namespace.prefix() + ".events");
    assertThat(text(headers, CqrsHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo("ItemAdded");
  }

  @Test
  void with_its_retry_queue_deleted_a_failed_event_is_dead_lettered_with_its_reason() {
    Duration delay = Duration.ofMillis(50);
    RabbitEventBus bus = eventBus(delay);
    bus.subscribe(
        "no-retry-queue",
        1,
        event -> {
          throw new IllegalStateException("fails");
        });
    String queue = namespace.prefix() + ".events.no-retry-queue";
    namespace.withChannel(channel -> channel.queueDelete(Names.retryQueue(queue, delay)));

    bus.publish(List.of(TestMessages.event("n", 1)));

    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("no-retry-queue") == 1);
    Map<String, Object> headers =
        take(bus.deadLetterQueue("no-retry-queue")).getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(CqrsHeaders.REASON_HANDLER_FAILED);
    assertThat(text(headers, CqrsHeaders.EXCEPTION)).startsWith("java.lang.IllegalStateException");
  }

  @Test
  void a_command_with_a_forged_attempts_header_gets_every_attempt() {
    RabbitCommandBus bus =
        namespace.track(
            namespace
                .commandBusBuilder(serializer)
                .retryDelays(Duration.ofMillis(50), Duration.ofMillis(50))
                .build());
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe(
        "forged-orders",
        Set.of("AddItem"),
        1,
        command -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("orders are down");
        });
    Command command = TestMessages.addItem("forged");
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type("AddItem")
            .messageId(command.messageId())
            .deliveryMode(2)
            .headers(Map.of(CqrsHeaders.ATTEMPTS, 3, CqrsHeaders.REASON, "forged"))
            .build();
    namespace.withChannel(
        channel -> {
          channel.basicPublish(
              namespace.prefix() + ".commands",
              "AddItem",
              properties,
              serializer.serialize(command));
          return null;
        });

    Await.until(WAIT, () -> attempts + "", () -> bus.deadLetterCount("forged-orders") == 1);
    assertThat(attempts).hasValue(3);
    assertThat(
            text(
                take(bus.deadLetterQueue("forged-orders")).getProps().getHeaders(),
                CqrsHeaders.REASON))
        .isEqualTo(CqrsHeaders.REASON_HANDLER_FAILED);
  }

  private RabbitEventBus eventBus(Duration... retryDelays) {
    return namespace.track(namespace.eventBusBuilder(serializer).retryDelays(retryDelays).build());
  }

  private void publishRaw(String type, byte[] body) {
    publishRaw(type, body, Map.of());
  }

  /** Publishes a well-formed event as an outside publisher would, with headers of its choice. */
  private void publishRaw(VersionedEvent event, Map<String, Object> headers) {
    publishRaw(event.eventType(), serializer.serialize(event), headers);
  }

  private void publishRaw(String type, byte[] body, Map<String, Object> headers) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(type)
            .messageId("raw-" + type)
            .deliveryMode(2)
            .headers(headers)
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
