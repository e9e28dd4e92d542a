package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.TypeRegistry;
import io.cqrs.UnknownTypeException;
import io.cqrs.UnpublishableMessageException;
import io.cqrs.testing.Await;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link InMemoryCommandBus#serializing}: what a test in memory sends fails as it would fail on its
 * way through a broker, at the send, instead of passing in memory and being dead-lettered in
 * production (an adopter's review found the Spring Boot starter's in-memory bus passing objects).
 */
class SerializingInMemoryCommandBusTest {
  record Open(String id) {}

  record NotRegistered(String id) {}

  /** A command Jackson can write but not read back: no creator it can use. */
  static final class NoCreator {
    private final String id;

    NoCreator(String id, int unused) {
      this.id = id;
    }

    public String getId() {
      return id;
    }
  }

  private final TypeRegistry types =
      new TypeRegistry().registerCommands(Open.class, NoCreator.class);
  private final InMemoryCommandBus bus = InMemoryCommandBus.serializing(new EventSerializer(types));
  private final List<Command> received = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    bus.close();
  }

  private void listen() {
    bus.subscribe(
        "accounts",
        Set.of(
            TypeRegistry.logicalName(Open.class),
            TypeRegistry.logicalName(NotRegistered.class),
            TypeRegistry.logicalName(NoCreator.class)),
        1,
        received::add);
  }

  @Test
  void a_consumer_gets_what_the_serializer_reads_back_with_the_envelope_intact() {
    listen();
    Command sent =
        Command.builder(new Open("a-1")).correlationId("c-1").metadata(Map.of("k", "v")).build();

    bus.publish(sent);

    Await.until("the command to arrive", () -> received.size() == 1);
    Command got = received.get(0);
    assertThat(got).isNotSameAs(sent);
    assertThat(got.body()).isNotSameAs(sent.body()).isEqualTo(new Open("a-1"));
    assertThat(got.messageId()).isEqualTo(sent.messageId());
    assertThat(got.correlationId()).isEqualTo("c-1");
    assertThat(got.metadata()).containsEntry("k", "v");
  }

  @Test
  void an_unregistered_command_fails_its_send_and_nothing_of_the_list_is_published() {
    listen();
    Command good = Command.create(new Open("a-1"));
    Command unknown = Command.create(new NotRegistered("a-2"));

    assertThatThrownBy(() -> bus.publish(List.of(good, unknown)))
        .isInstanceOf(UnknownTypeException.class);

    bus.publish(Command.create(new Open("after")));
    Await.until("the later command to arrive", () -> !received.isEmpty());
    assertThat(received).extracting(c -> ((Open) c.body()).id()).containsExactly("after");
  }

  @Test
  void a_command_that_cannot_be_read_back_fails_its_send() {
    listen();
    assertThatThrownBy(() -> bus.publish(Command.create(new NoCreator("x", 0))))
        .isInstanceOf(SerializationException.class);
    assertThat(bus.isIdle()).isTrue();
  }

  /**
   * A command over RabbitMQ's default 16 MiB passed the serializing bus and failed in production:
   * refused here too, as the RabbitMQ bus refuses it, and nothing of its list published.
   */
  @Test
  void a_command_over_the_rabbitmq_default_size_fails_its_send_and_nothing_is_published() {
    listen();
    Command small = Command.create(new Open("a-1"));
    Command huge = Command.create(new Open("x".repeat(InMemoryCommandBus.MAX_MESSAGE_BYTES)));

    assertThatThrownBy(() -> bus.publish(List.of(small, huge)))
        .isInstanceOf(UnpublishableMessageException.class)
        .hasMessageContaining("Cannot publish command Open " + huge.messageId())
        .hasMessageContaining("more than the 16777216");

    bus.publish(Command.create(new Open("after")));
    Await.until("the later command to arrive", () -> !received.isEmpty());
    assertThat(received).extracting(c -> ((Open) c.body()).id()).containsExactly("after");
  }

  @Test
  void the_plain_bus_still_passes_the_object_as_sent() {
    InMemoryCommandBus plain = new InMemoryCommandBus();
    List<Command> got = new CopyOnWriteArrayList<>();
    plain.subscribe("accounts", Set.of(TypeRegistry.logicalName(Open.class)), 1, got::add);
    Command sent = Command.create(new Open("a-1"));
    try {
      plain.publish(sent);
      Await.until("the command to arrive", () -> got.size() == 1);
      assertThat(got.get(0)).isSameAs(sent);
    } finally {
      plain.close();
    }
  }
}
