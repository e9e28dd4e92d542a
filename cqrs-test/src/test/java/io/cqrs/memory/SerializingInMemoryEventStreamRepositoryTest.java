package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.EventStreamRepositoryContract;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store that keeps what its serializer reads back: every contract a store keeps, on
 * events that made the round trip, and an event that cannot make it fails its save, storing
 * nothing.
 */
class SerializingInMemoryEventStreamRepositoryTest extends EventStreamRepositoryContract {
  @Override
  protected EventStreamRepository newRepository() {
    return InMemoryEventStreamRepository.serializing(new EventSerializer(contractTypes()));
  }

  /** A class in which Jackson finds no property: it cannot be written. */
  static final class Renamed {
    private final String name;

    Renamed(String name) {
      this.name = name;
    }

    String name() {
      return name;
    }
  }

  record Deposited(long amount) {}

  @Test
  void an_event_the_serializer_cannot_write_fails_the_save_and_nothing_is_stored() {
    TypeRegistry types = new TypeRegistry().registerEvents(Renamed.class, Deposited.class);
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(types));
    VersionedEvent renamed = VersionedEvent.builder("t-1", 1, new Renamed("x")).build();

    assertThatThrownBy(() -> store.save("t-1", 0, List.of(renamed)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Renamed");

    assertThat(store.version("t-1")).isZero();
    assertThat(store.readLog(1, 10)).isEmpty();
  }

  record Noted(String text) {}

  /**
   * Couchbase refuses a commit document over 20 MiB; in memory the same save succeeded, so a test
   * on memory passed what production refuses. The serializing store refuses it too, storing
   * nothing, and takes a save just under the limit.
   */
  @Test
  void a_save_over_couchbases_document_limit_fails_and_nothing_is_stored() {
    TypeRegistry types = new TypeRegistry().registerEvents(Noted.class);
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(types));
    String half = "x".repeat(InMemoryEventStreamRepository.MAX_SAVE_BYTES / 2);
    List<VersionedEvent> two =
        List.of(
            VersionedEvent.builder("n-1", 1, new Noted(half)).build(),
            VersionedEvent.builder("n-1", 2, new Noted(half)).build());

    assertThatThrownBy(() -> store.save("n-1", 0, two))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("Batch of 2 events for stream 'n-1' takes more than the 20971520")
        .hasMessageContaining("by its event 2")
        .hasMessageEndingWith("nothing was written");
    assertThat(store.version("n-1")).isZero();
    assertThat(store.readLog(1, 10)).isEmpty();

    store.save("n-1", 0, two.subList(0, 1));
    assertThat(store.version("n-1")).isEqualTo(1);
    assertThatThrownBy(
            () ->
                store.recordIntegrationEvent(
                    VersionedEvent.builder("note", 0, new Noted(half + half)).build()))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("Integration event ");
  }

  @Test
  void what_is_kept_is_a_copy_read_back_equal_to_what_was_saved() {
    TypeRegistry types = new TypeRegistry().registerEvents(Deposited.class);
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(types));
    VersionedEvent deposited = VersionedEvent.builder("a-1", 1, new Deposited(5)).build();

    store.save("a-1", 0, List.of(deposited));

    VersionedEvent kept = store.load("a-1", 1).get(0);
    assertThat(kept).isEqualTo(deposited).isNotSameAs(deposited);
    assertThat(kept.event()).isEqualTo(new Deposited(5)).isNotSameAs(deposited.event());
  }
}
