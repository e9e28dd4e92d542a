package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.UnknownTypeException;
import io.cqrs.UnpublishableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The in-memory event bus that delivers what its serializer reads back: a test meets there what a
 * RabbitMQ bus refuses (a type it cannot write, an event over the broker's default size), and
 * nothing of a refused list is delivered.
 */
class SerializingInMemoryEventBusTest {
  record Noted(String text) {}

  record Unregistered(String text) {}

  private final InMemoryEventBus bus =
      InMemoryEventBus.serializing(
          new EventSerializer(new TypeRegistry().registerEvents(Noted.class)));
  private final List<VersionedEvent> received = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    bus.close();
  }

  @Test
  void a_subscriber_gets_what_the_serializer_reads_back() {
    bus.subscribe("notes", 1, received::add);
    VersionedEvent sent = VersionedEvent.of("n-1", 1, new Noted("hello"), "c-1");

    bus.publish(List.of(sent));

    Await.until("the event to arrive", () -> received.size() == 1);
    assertThat(received.get(0)).isEqualTo(sent).isNotSameAs(sent);
    assertThat(received.get(0).event()).isEqualTo(new Noted("hello")).isNotSameAs(sent.event());
  }

  @Test
  void an_event_too_large_or_unwritable_fails_its_publish_and_nothing_of_the_list_is_delivered() {
    bus.subscribe("notes", 1, received::add);
    VersionedEvent small = VersionedEvent.of("n-1", 1, new Noted("small"), "c-1");
    VersionedEvent huge =
        VersionedEvent.of(
            "n-1", 2, new Noted("x".repeat(InMemoryEventBus.MAX_MESSAGE_BYTES)), "c-1");

    assertThatThrownBy(() -> bus.publish(List.of(small, huge)))
        .isInstanceOf(UnpublishableMessageException.class)
        .hasMessageContaining("Cannot publish event Noted " + huge.id() + " of stream 'n-1'")
        .hasMessageContaining("more than the 16777216");
    assertThatThrownBy(
            () ->
                bus.publish(
                    List.of(small, VersionedEvent.of("u-1", 1, new Unregistered("u"), "c-2"))))
        .isInstanceOf(UnknownTypeException.class);

    bus.publish(List.of(VersionedEvent.of("n-2", 1, new Noted("after"), "c-3")));
    Await.until("the later event to arrive", () -> !received.isEmpty());
    assertThat(received).extracting(VersionedEvent::sourceId).containsExactly("n-2");
  }
}
