package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A revision bump rolled out readers first: version 2 of the application reads revisions 1 and 2 of
 * a type and, while version 1 processes still run, writes revision 1 through its downcasters
 * ({@link TypeRegistry#writeRevision}); version 1 reads what it writes. Each version is a registry
 * of its own classes under the same type names.
 */
class DowncastingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Version 1 of the application: the revision 1 classes. */
  static final class V1 {
    @TypeName("OrderPlaced")
    record OrderPlaced(String orderId, int qty) {}

    @TypeName("PlaceOrder")
    record PlaceOrder(String orderId, int qty) {}

    static TypeRegistry registry() {
      return new TypeRegistry()
          .registerEvents(OrderPlaced.class)
          .registerCommands(PlaceOrder.class);
    }
  }

  /** Version 2: "qty" renamed "quantity", a revision bump of the event and the command. */
  static final class V2 {
    @TypeName(value = "OrderPlaced", revision = 2)
    record OrderPlaced(String orderId, int quantity) {}

    @TypeName(value = "PlaceOrder", revision = 2)
    record PlaceOrder(String orderId, int quantity) {}

    /** Reads both revisions; writes the current one. */
    static TypeRegistry readers() {
      TypeRegistry registry =
          new TypeRegistry().registerEvents(OrderPlaced.class).registerCommands(PlaceOrder.class);
      for (Class<?> type : List.of(OrderPlaced.class, PlaceOrder.class)) {
        registry
            .upcaster(type, 1, payload -> rename(payload, "qty", "quantity"))
            .downcaster(type, 2, payload -> rename(payload, "quantity", "qty"));
      }
      return registry;
    }

    /** The first deployment: reads both, writes revision 1. */
    static TypeRegistry readersFirst() {
      return readers().writeRevision(OrderPlaced.class, 1).writeRevision(PlaceOrder.class, 1);
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode rename(
        com.fasterxml.jackson.databind.node.ObjectNode payload, String from, String to) {
      payload.set(to, payload.remove(from));
      return payload;
    }
  }

  private static JsonNode tree(byte[] json) throws Exception {
    return JSON.readTree(json);
  }

  @Test
  void version_1_reads_the_events_version_2_writes_while_its_revision_is_pinned() throws Exception {
    EventSerializer v2 = new EventSerializer(V2.readersFirst());
    EventSerializer v1 = new EventSerializer(V1.registry());
    VersionedEvent written = VersionedEvent.of("o-1", 1, new V2.OrderPlaced("o-1", 3), "c-1");

    byte[] json = v2.serialize(written);

    JsonNode envelope = tree(json);
    assertThat(envelope.has("revision")).as("revision 1 is written without one").isFalse();
    assertThat(envelope.get("event").get("qty").asInt()).isEqualTo(3);
    assertThat(envelope.get("event").has("quantity")).isFalse();
    assertThat(v1.deserializeEvent(json).event()).isEqualTo(new V1.OrderPlaced("o-1", 3));
    VersionedEvent readBack = v2.deserializeEvent(json);
    assertThat(readBack.event()).isEqualTo(new V2.OrderPlaced("o-1", 3));
    assertThat(readBack.id()).isEqualTo(written.id());
  }

  @Test
  void version_1_reads_the_commands_version_2_writes_while_its_revision_is_pinned() {
    EventSerializer v2 = new EventSerializer(V2.readersFirst());
    EventSerializer v1 = new EventSerializer(V1.registry());
    Command sent = Command.create(new V2.PlaceOrder("o-1", 4));

    byte[] json = v2.serialize(sent);

    Command taken = v1.deserializeCommand(json);
    assertThat(taken.body()).isEqualTo(new V1.PlaceOrder("o-1", 4));
    assertThat(taken.messageId()).isEqualTo(sent.messageId());
    assertThat(v2.deserializeCommand(json).body()).isEqualTo(new V2.PlaceOrder("o-1", 4));
  }

  @Test
  void once_the_pin_is_dropped_version_1_refuses_the_newer_revision_as_before() {
    EventSerializer v2 =
        new EventSerializer(V2.readersFirst().writeRevision(V2.OrderPlaced.class, 2));
    EventSerializer v1 = new EventSerializer(V1.registry());

    byte[] json = v2.serialize(VersionedEvent.of("o-1", 1, new V2.OrderPlaced("o-1", 3), "c-1"));

    assertThatThrownBy(() -> v1.deserializeEvent(json)).isInstanceOf(NewerRevisionException.class);
    assertThat(new EventSerializer(V2.readers()).deserializeEvent(json).event())
        .isEqualTo(new V2.OrderPlaced("o-1", 3));
  }

  @Test
  void a_store_of_version_2_keeps_what_version_1_can_load() {
    EventSerializer v1 = new EventSerializer(V1.registry());
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(V2.readersFirst()));

    store.save("o-1", 0, List.of(VersionedEvent.of("o-1", 1, new V2.OrderPlaced("o-1", 5), "c")));

    assertThat(store.load("o-1"))
        .singleElement()
        .extracting(VersionedEvent::event)
        .isEqualTo(new V2.OrderPlaced("o-1", 5));
    byte[] asStored = new EventSerializer(V2.readersFirst()).serialize(store.load("o-1").get(0));
    assertThat(v1.deserializeEvent(asStored).event()).isEqualTo(new V1.OrderPlaced("o-1", 5));
  }

  @TypeName(value = "Priced", revision = 2)
  record Priced(float price, java.util.Map<String, Object> extra) {}

  /**
   * A pinned write is the JSON the unpinned write would be, brought down: a float stays as written
   * (built with {@code valueToTree}, whose buffer the serializer's mapper forces to BigDecimal,
   * 0.1f became 0.10000000149011612, found by the rolling-deployment IT's author).
   */
  @Test
  void a_pinned_write_keeps_a_float_as_the_unpinned_write_has_it() throws Exception {
    TypeRegistry pinned =
        new TypeRegistry()
            .registerEvents(Priced.class)
            .upcaster(Priced.class, 1, payload -> payload)
            .downcaster(Priced.class, 2, payload -> payload)
            .writeRevision(Priced.class, 1);
    Priced priced = new Priced(0.1f, java.util.Map.of("discount", 2.2f));

    byte[] json = new EventSerializer(pinned).serialize(VersionedEvent.of("s", 1, priced, "c"));

    JsonNode event = tree(json).get("event");
    assertThat(event.get("price").asText()).isEqualTo("0.1");
    assertThat(event.get("extra").get("discount").asText()).isEqualTo("2.2");
  }

  @Test
  void a_pin_needs_every_downcaster_and_an_upcaster_back_naming_the_missing_step() {
    TypeRegistry noDowncaster =
        new TypeRegistry()
            .registerEvents(V2.OrderPlaced.class)
            .upcaster(V2.OrderPlaced.class, 1, payload -> payload);
    assertThatThrownBy(() -> noDowncaster.writeRevision(V2.OrderPlaced.class, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("OrderPlaced")
        .hasMessageContaining("no downcaster from revision 2 to 1");

    TypeRegistry noUpcaster =
        new TypeRegistry()
            .registerEvents(V2.OrderPlaced.class)
            .downcaster(V2.OrderPlaced.class, 2, payload -> payload);
    assertThatThrownBy(() -> noUpcaster.writeRevision(V2.OrderPlaced.class, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("could not read it back");

    TypeRegistry registry = V2.readers();
    assertThatThrownBy(() -> registry.writeRevision(V2.OrderPlaced.class, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("revisions 1 to 2");
    assertThatThrownBy(() -> registry.writeRevision(V2.OrderPlaced.class, 3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> registry.downcaster(V2.OrderPlaced.class, 1, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("from revision 1");
    assertThatThrownBy(() -> registry.downcaster(V2.OrderPlaced.class, 2, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Two downcasters");
    assertThatThrownBy(() -> registry.writeRevision(String.class, 1))
        .isInstanceOf(UnknownTypeException.class);
    assertThat(registry.writeRevisionOf(V2.OrderPlaced.class)).isEqualTo(2);
    assertThat(
            registry.writeRevision(V2.OrderPlaced.class, 1).writeRevisionOf(V2.OrderPlaced.class))
        .isEqualTo(1);

    assertThat(registry.writableDownTo(V2.OrderPlaced.class)).isEqualTo(1);
    assertThat(noDowncaster.writableDownTo(V2.OrderPlaced.class)).isEqualTo(2);
    ObjectNode payload = JsonNodeFactory.instance.objectNode().put("quantity", 3);
    assertThat(registry.downcast(V2.OrderPlaced.class, payload, 1).toString())
        .isEqualTo("{\"qty\":3}");
    assertThatThrownBy(
            () ->
                noDowncaster.downcast(
                    V2.OrderPlaced.class, JsonNodeFactory.instance.objectNode(), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("its downcasters reach revisions 2 to 2");
  }

  @Test
  void a_downcaster_that_fails_writes_nothing_and_names_the_type_and_revision() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerEvents(V2.OrderPlaced.class)
            .upcaster(V2.OrderPlaced.class, 1, payload -> payload)
            .downcaster(
                V2.OrderPlaced.class,
                2,
                payload -> {
                  throw new IllegalStateException("boom");
                })
            .writeRevision(V2.OrderPlaced.class, 1);
    TypeRegistry returnsNothing =
        new TypeRegistry()
            .registerEvents(V2.OrderPlaced.class)
            .upcaster(V2.OrderPlaced.class, 1, payload -> payload)
            .downcaster(V2.OrderPlaced.class, 2, payload -> null)
            .writeRevision(V2.OrderPlaced.class, 1);
    VersionedEvent event = VersionedEvent.of("o-1", 1, new V2.OrderPlaced("o-1", 3), "c-1");

    assertThatThrownBy(() -> new EventSerializer(registry).serialize(event))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("downcaster of OrderPlaced from revision 2 failed")
        .hasMessageContaining("boom");
    assertThatThrownBy(() -> new EventSerializer(returnsNothing).serialize(event))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("returned no payload");
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(registry));
    assertThatThrownBy(() -> store.save("o-1", 0, List.of(event)))
        .isInstanceOf(SerializationException.class);
    assertThat(store.load("o-1")).isEmpty();
  }
}
