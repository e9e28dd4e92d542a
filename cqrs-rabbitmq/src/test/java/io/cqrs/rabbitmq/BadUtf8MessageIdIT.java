package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.GetResponse;
import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A message id of bytes that are not UTF-8, as a hostile client can publish it (the broker takes
 * any bytes): a failing event keeps every attempt and its reason, a malformed one is dead-lettered
 * with its reason, and its dead letter replays (from an adversarial run against the buses, which
 * found these held).
 */
class BadUtf8MessageIdIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  @BeforeEach
  void open() {
    namespace = RabbitTestBroker.get().newNamespace("bad-utf8");
  }

  @AfterEach
  void close() {
    namespace.close();
  }

  private static byte[] badId() {
    byte[] id = new byte[200];
    Arrays.fill(id, (byte) 0xFF); // never valid UTF-8: decodes to U+FFFD, 3 bytes each
    return id;
  }

  private void publishRaw(byte[] body) {
    namespace.withChannel(
        channel -> {
          channel.basicPublish(
              namespace.prefix() + ".events",
              "ItemAdded",
              RawProperties.rawMessageId(badId(), "ItemAdded", Map.of("x-app", "a")),
              body);
          return null;
        });
  }

  @Test
  void a_failing_event_with_a_non_utf8_message_id_gets_every_attempt_and_its_reason() {
    RabbitEventBus bus =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .retryDelays(Duration.ofMillis(50), Duration.ofMillis(50))
                .build());
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe(
        "utf8",
        1,
        event -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("transient failure");
        });
    VersionedEvent event = TestMessages.event("u", 1);
    publishRaw(serializer.serialize(event));

    Await.until(WAIT, () -> attempts + " attempts", () -> bus.deadLetterCount("utf8") == 1);
    GetResponse dead =
        namespace.withChannel(channel -> channel.basicGet(bus.deadLetterQueue("utf8"), true));
    Map<String, Object> headers = dead.getProps().getHeaders();
    String mid = dead.getProps().getMessageId();
    System.out.println(
        "ADV message id chars="
            + mid.length()
            + " utf8="
            + mid.getBytes(StandardCharsets.UTF_8).length
            + " first="
            + (int) mid.charAt(0));
    assertThat(attempts).as("attempts of a transiently failing event (retryDelays 2)").hasValue(3);
    assertThat(String.valueOf(headers.get(CqrsHeaders.REASON)))
        .as("x-cqrs-reason of the dead letter; headers " + headers.keySet())
        .isEqualTo(CqrsHeaders.REASON_HANDLER_FAILED);
  }

  @Test
  void a_malformed_event_with_a_non_utf8_message_id_is_dead_lettered_as_malformed() {
    RabbitEventBus bus = namespace.track(namespace.eventBusBuilder(serializer).build());
    bus.subscribe("utf8m", 1, event -> {});
    publishRaw("{not json".getBytes(StandardCharsets.UTF_8));

    Await.until(WAIT, () -> "no dead letter", () -> bus.deadLetterCount("utf8m") == 1);
    GetResponse dead =
        namespace.withChannel(channel -> channel.basicGet(bus.deadLetterQueue("utf8m"), false));
    assertThat(String.valueOf(dead.getProps().getHeaders().get(CqrsHeaders.REASON)))
        .as("x-cqrs-reason; headers " + dead.getProps().getHeaders().keySet())
        .isEqualTo(CqrsHeaders.REASON_MALFORMED);
  }

  @Test
  void one_dead_letter_with_a_non_utf8_message_id_does_not_block_replaying_the_others() {
    RabbitEventBus bus =
        namespace.track(
            namespace.eventBusBuilder(serializer).retryDelays(Duration.ofMillis(50)).build());
    AtomicInteger handled = new AtomicInteger();
    bus.subscribe(
        "utf8r",
        1,
        event -> {
          throw new io.cqrs.NonTransientCqrsException("down");
        });
    bus.publish(
        List.of(TestMessages.event("first", 1))); // an ordinary dead letter first? no: after
    Await.until(WAIT, () -> "first dead letter", () -> bus.deadLetterCount("utf8r") == 1);
    // Put the odd one at the head: take the ordinary one, add the odd one, put the ordinary back.
    String dlq = bus.deadLetterQueue("utf8r");
    namespace.withChannel(
        channel -> {
          GetResponse first = channel.basicGet(dlq, true);
          channel.basicPublish(
              "",
              dlq,
              RawProperties.rawMessageId(badId(), "ItemAdded", Map.of()),
              serializer.serialize(TestMessages.event("odd", 1)));
          channel.basicPublish("", dlq, first.getProps(), first.getBody());
          return null;
        });
    Await.until(WAIT, () -> "two dead letters", () -> bus.deadLetterCount("utf8r") == 2);
    Throwable failure = null;
    long replayed = -1;
    try {
      replayed = bus.replayDeadLetters("utf8r", 10);
    } catch (RuntimeException e) {
      failure = e;
    }
    assertThat(failure)
        .as("replayDeadLetters of a queue holding one letter with a non-UTF-8 message id")
        .isNull();
    assertThat(replayed).isEqualTo(2);
  }
}
