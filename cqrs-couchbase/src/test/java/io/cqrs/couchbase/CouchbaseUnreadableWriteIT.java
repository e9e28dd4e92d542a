package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A commit the store accepts is one every process can read: an adversary saved events whose
 * documents Jackson's read limits then refused (a property name over 50,000 characters, a string
 * over 20,000,000, a number over 1,000 digits), each well within the document size, so the stream
 * could not be loaded, its correlation not looked up, and every other process's relay stopped at it
 * for good. Names and strings now read as long as they were written; a number no reader could read
 * is refused before anything is written.
 */
class CouchbaseUnreadableWriteIT extends RepositoryIT {
  record Tagged(Map<String, String> tags) {}

  record Counted(BigInteger count) {}

  record Priced(BigDecimal price) {}

  interface Shape {}

  record Square(int side) implements Shape {}

  record Drawn(Shape shape) {}

  private static final TypeRegistry TYPES =
      new TypeRegistry()
          .registerEvents(
              TestEvents.Deposited.class,
              TestEvents.Noted.class,
              Tagged.class,
              Counted.class,
              Priced.class,
              Drawn.class);

  private CouchbaseEventStreamRepository store() {
    return CouchbaseEventStreamRepository.builder(collection, new EventSerializer(TYPES))
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE)
        .build();
  }

  private static VersionedEvent event(String stream, Object payload) {
    return new VersionedEvent(
        UUID.randomUUID().toString(),
        "corr-" + stream,
        "cause",
        stream,
        "t",
        null,
        1,
        TypeRegistry.logicalName(payload.getClass()),
        Instant.now(),
        payload,
        Map.of());
  }

  @ParameterizedTest
  @ValueSource(strings = {"long-name", "long-string"})
  void a_commit_with_a_long_name_or_string_reads_in_every_process(String kind) {
    Object payload =
        kind.equals("long-name")
            ? new Tagged(Map.of("k".repeat(50_001), "v"))
            : new TestEvents.Noted("x".repeat(20_000_001));
    CouchbaseEventStreamRepository writer = store();
    writer.save("before", 0, List.of(event("before", new TestEvents.Deposited(1))));
    writer.save("long", 0, List.of(event("long", payload)));
    writer.save("after", 0, List.of(event("after", new TestEvents.Deposited(2))));

    CouchbaseEventStreamRepository other = store(); // another process, or this one restarted
    assertThat(other.load("long")).extracting(VersionedEvent::event).containsExactly(payload);
    assertThat(other.eventsByCorrelationId("corr-long")).hasSize(1);
    assertThat(relayed(other, 3)).containsExactlyInAnyOrder("before", "long", "after");
  }

  @Test
  void a_number_no_reader_could_read_is_refused_and_nothing_is_written() {
    CouchbaseEventStreamRepository writer = store();
    writer.save("before", 0, List.of(event("before", new TestEvents.Deposited(1))));
    for (Object payload :
        List.of(new Counted(BigInteger.TEN.pow(1_000)), new Priced(new BigDecimal("1E+1000")))) {
      assertThatThrownBy(() -> writer.save("number", 0, List.of(event("number", payload))))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("cannot be written");
    }
    writer.save("after", 0, List.of(event("after", new TestEvents.Deposited(2))));

    CouchbaseEventStreamRepository other = store();
    assertThat(other.load("number")).isEmpty();
    assertThat(raw(keys.claim("number", 1))).isEmpty();
    assertThat(relayed(other, 2)).containsExactlyInAnyOrder("before", "after");
  }

  /**
   * An adopter's event with a field of an interface type: Jackson wrote it, the save succeeded, and
   * every later load of the stream and every processor of another process failed at it. Read back
   * before it is written, it is refused and nothing is written.
   */
  @Test
  void an_event_jackson_can_write_but_not_read_is_refused_and_nothing_is_written() {
    CouchbaseEventStreamRepository writer = store();
    writer.save("before", 0, List.of(event("before", new TestEvents.Deposited(1))));
    assertThatThrownBy(
            () -> writer.save("drawn", 0, List.of(event("drawn", new Drawn(new Square(2))))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("can be written as JSON but not read back");
    writer.save("after", 0, List.of(event("after", new TestEvents.Deposited(2))));

    CouchbaseEventStreamRepository other = store();
    assertThat(other.load("drawn")).isEmpty();
    assertThat(raw(keys.claim("drawn", 1))).isEmpty();
    assertThat(relayed(other, 2)).containsExactlyInAnyOrder("before", "after");
  }

  /** The streams whose events a relay on {@code store} publishes, once it published {@code n}. */
  private static List<String> relayed(CouchbaseEventStreamRepository store, int n) {
    InMemoryEventBus bus = new InMemoryEventBus();
    List<String> published = new CopyOnWriteArrayList<>();
    bus.subscribe("watch", 1, e -> published.add(e.sourceId()));
    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ZERO).build();
    try {
      relay.publishPending();
      Await.until("the relay publishes " + n + " events", () -> published.size() >= n);
      return List.copyOf(published);
    } finally {
      bus.close();
    }
  }
}
