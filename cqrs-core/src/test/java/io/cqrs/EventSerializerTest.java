package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventSerializerTest {
  static final AtomicInteger TRIPWIRE_LOADS = new AtomicInteger();
  static final AtomicInteger TRIPWIRE_INSTANCES = new AtomicInteger();
  static final AtomicInteger CONTROL_LOADS = new AtomicInteger();

  record Deposited(BigDecimal amount, long cents, Instant at, List<String> tags) {}

  record WithDetail(String name, Object detail) {}

  @TypeName("transfer-requested")
  record RequestTransfer(String from, String to, BigDecimal amount) {}

  /** Never registered, and harmless. */
  record Unregistered(String text) {}

  /** Never registered: if anything ever initializes or constructs it, the counters show it. */
  record Tripwire(String text) {
    static {
      TRIPWIRE_LOADS.incrementAndGet();
    }

    Tripwire {
      TRIPWIRE_INSTANCES.incrementAndGet();
    }
  }

  /** Registered, to show that the counters do catch a class being initialized by the reader. */
  record ControlTripwire(String text) {
    static {
      CONTROL_LOADS.incrementAndGet();
    }
  }

  private final TypeRegistry registry =
      new TypeRegistry()
          .registerEvents(Deposited.class, WithDetail.class)
          .registerCommands(RequestTransfer.class);
  private final EventSerializer serializer = new EventSerializer(registry);
  private final ObjectMapper json = new ObjectMapper();

  // ---------------------------------------------------------------- round trips

  /** A shape of the adopter's: Jackson writes it, but cannot make a Shape back. */
  interface Shape {
    double area();
  }

  record Square(double side) implements Shape {
    @Override
    public double area() {
      return side * side;
    }
  }

  record Drawn(Shape shape) {}

  /**
   * An adopter's event with a field of an interface type was saved on Couchbase and published, then
   * failed every load of its stream and stopped every processor at it in other processes. The first
   * payload of each class is read back before it is written; nothing is written if it cannot be.
   */
  @Test
  void an_event_that_can_be_written_but_not_read_back_is_refused_before_it_is_written() {
    TypeRegistry types = new TypeRegistry().registerEvents(Drawn.class, Deposited.class);
    EventSerializer drawing = new EventSerializer(types);
    VersionedEvent drawn =
        VersionedEvent.builder("d-1", 1, new Drawn(new Square(2))).correlationId("c").build();

    assertThatThrownBy(() -> drawing.serialize(drawn))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Events of type Drawn")
        .hasMessageContaining("can be written as JSON but not read back")
        .hasMessageContaining("nothing was written");
    assertThatThrownBy(() -> drawing.toTree(drawn)).isInstanceOf(SerializationException.class);
    VersionedEvent deposited =
        VersionedEvent.builder(
                "a-1", 1, new Deposited(BigDecimal.ONE, 100, Instant.EPOCH, List.of("t")))
            .correlationId("c")
            .build();
    assertThat(drawing.deserializeEvent(drawing.serialize(deposited)).event())
        .isEqualTo(deposited.event());
  }

  record Draw(Shape shape) {}

  /** A command body that cannot be read back is refused too, and the refusal says command. */
  @Test
  void a_command_that_can_be_written_but_not_read_back_is_refused_naming_it_a_command() {
    TypeRegistry types = new TypeRegistry().registerCommands(Draw.class);
    EventSerializer drawing = new EventSerializer(types);
    Command draw = Command.builder(new Draw(new Square(2))).build();

    assertThatThrownBy(() -> drawing.serialize(draw))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("Commands of type Draw")
        .hasMessageContaining("a sent one would fail in every process that receives it")
        .hasMessageContaining("nothing was written");
  }

  @Test
  void an_event_envelope_round_trips_with_every_field() {
    VersionedEvent event =
        new VersionedEvent(
            "id-1",
            "correlation-1",
            "cause-1",
            "wallet-1",
            "ada",
            "grace",
            7,
            "Deposited",
            Instant.parse("2024-02-29T23:59:59.123456789Z"),
            new Deposited(
                new BigDecimal("12345678901234567890.120"),
                Long.MAX_VALUE,
                Instant.parse("1999-12-31T23:59:59.000000001Z"),
                List.of("a", "ü")),
            Map.of("actor", "ada", "quote", "\"x\""));

    VersionedEvent read = serializer.deserializeEvent(serializer.serialize(event));

    assertThat(read).isEqualTo(event);
    assertThat(read.eventAs(Deposited.class).amount().scale()).isEqualTo(3);
  }

  @Test
  void the_tree_and_the_bytes_of_a_command_and_an_event_are_the_same_json() throws Exception {
    VersionedEvent event =
        new VersionedEvent(
            "id-1",
            "correlation-1",
            null,
            "wallet-1",
            "ada",
            null,
            7,
            "Deposited",
            Instant.parse("2024-02-29T23:59:59.120Z"),
            new Deposited(
                new BigDecimal("10.50"), 3, Instant.parse("1999-12-31T23:59:59Z"), List.of()),
            Map.of("k", "v"));
    Command command =
        new Command(
            "m-1",
            "c-1",
            "cause",
            "transfer-requested",
            Instant.parse("2024-01-01T00:00:00.000000001Z"),
            new RequestTransfer("a", "b", new BigDecimal("1.000")),
            Map.of());
    ObjectMapper exact = serializer.mapper();

    assertThat(exact.readTree(exact.writeValueAsBytes(serializer.toTree(event))))
        .isEqualTo(exact.readTree(serializer.serialize(event)));
    assertThat(exact.readTree(exact.writeValueAsBytes(serializer.toTree(command))))
        .isEqualTo(exact.readTree(serializer.serialize(command)));
    assertThat(serializer.toTree(event).at("/event/amount").decimalValue())
        .isEqualTo(new BigDecimal("10.50"));
    assertThat(serializer.fromTree(serializer.toTree(event))).isEqualTo(event);
    assertThat(serializer.commandFromTree(serializer.toTree(command))).isEqualTo(command);
  }

  @Test
  void an_event_envelope_with_optional_fields_absent_round_trips() {
    VersionedEvent event =
        new VersionedEvent(
            "id-2",
            "c",
            null,
            "s",
            null,
            null,
            0,
            "Deposited",
            Instant.now(),
            new Deposited(BigDecimal.ONE, 1, Instant.EPOCH, List.of()),
            Map.of());

    assertThat(serializer.deserializeEvent(serializer.serialize(event))).isEqualTo(event);
  }

  @Test
  void a_command_envelope_round_trips_under_its_type_name() {
    Command command =
        Command.create(new RequestTransfer("a", "b", new BigDecimal("10.05")), "correlation-9")
            .causedBy("event-3")
            .withMetadata("actor", "ada");

    byte[] bytes = serializer.serialize(command);
    Command read = serializer.deserializeCommand(bytes);

    assertThat(read).isEqualTo(command);
    assertThat(read.commandType()).isEqualTo("transfer-requested");
  }

  @Test
  void the_json_carries_logical_names_and_no_class_names() {
    VersionedEvent event = deposited();

    String text = new String(serializer.serialize(event), StandardCharsets.UTF_8);

    assertThat(text).contains("\"eventType\":\"Deposited\"").doesNotContain("io.cqrs");
    assertThat(text).contains("\"amount\":10.50").contains("\"created\":\"");
  }

  @Test
  void unknown_payload_properties_are_ignored_so_events_can_lose_fields() throws Exception {
    ObjectNode tree = serializer.toTree(deposited());
    ((ObjectNode) tree.get("event")).put("removedLongAgo", "whatever");

    VersionedEvent read = serializer.fromTree(tree);

    assertThat(read).isEqualTo(deposited());
  }

  @Test
  void a_payload_field_added_after_the_event_was_stored_reads_as_null() {
    ObjectNode tree = serializer.toTree(deposited());
    ((ObjectNode) tree.get("event")).remove("tags");

    assertThat(serializer.fromTree(tree).eventAs(Deposited.class).tags()).isNull();
  }

  // ---------------------------------------------------------------- the allow-list

  @Test
  void an_unknown_event_type_throws_and_never_loads_the_class() {
    for (String name : List.of("Tripwire", Tripwire.class.getName(), "java.lang.Runtime")) {
      ObjectNode tree = serializer.toTree(deposited());
      tree.put("eventType", name);
      tree.set("event", json.createObjectNode().put("text", "boom"));

      assertThatThrownBy(() -> serializer.deserializeEvent(json.writeValueAsBytes(tree)))
          .isInstanceOf(UnknownTypeException.class)
          .hasMessageContaining(name);
    }
    assertThat(TRIPWIRE_LOADS).hasValue(0);
    assertThat(TRIPWIRE_INSTANCES).hasValue(0);
  }

  @Test
  void class_hints_inside_a_payload_are_not_followed() {
    ObjectNode tree = serializer.toTree(deposited());
    tree.put("eventType", "WithDetail");
    ObjectNode detail = json.createObjectNode().put("@class", Tripwire.class.getName());
    detail.put("text", "boom");
    tree.set(
        "event",
        json.createObjectNode()
            .put("@class", Tripwire.class.getName())
            .put("name", "n")
            .set("detail", detail));

    WithDetail read = serializer.fromTree(tree).eventAs(WithDetail.class);

    assertThat(read.detail()).isInstanceOf(Map.class);
    assertThat(TRIPWIRE_LOADS).hasValue(0);
    assertThat(TRIPWIRE_INSTANCES).hasValue(0);
  }

  @Test
  void the_tripwire_does_detect_a_class_the_serializer_initializes() {
    TypeRegistry withControl = new TypeRegistry().registerEvents(ControlTripwire.class);
    EventSerializer controlled = new EventSerializer(withControl);
    ObjectNode tree = serializer.toTree(deposited());
    tree.put("eventType", "ControlTripwire");
    tree.set("event", json.createObjectNode().put("text", "ok"));

    assertThat(controlled.fromTree(tree).event()).isEqualTo(new ControlTripwire("ok"));
    assertThat(CONTROL_LOADS).hasValue(1);
  }

  @Test
  void an_unknown_command_type_throws_unknown_type_exception() {
    ObjectNode tree = serializer.toTree(Command.create(new RequestTransfer("a", "b", null)));
    tree.put("commandType", "Tripwire");

    assertThatThrownBy(() -> serializer.commandFromTree(tree))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining("Tripwire");
    assertThat(TRIPWIRE_INSTANCES).hasValue(0);
  }

  @Test
  void serializing_an_unregistered_payload_is_not_prevented_but_reading_it_is() {
    VersionedEvent unregistered =
        new VersionedEvent(
            "id",
            "c",
            null,
            "s",
            null,
            null,
            1,
            "Unregistered",
            Instant.now(),
            new Unregistered("x"),
            Map.of());

    byte[] bytes = serializer.serialize(unregistered);

    assertThatThrownBy(() -> serializer.deserializeEvent(bytes))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining("Unregistered");
  }

  // ---------------------------------------------------------------- malformed input

  @Test
  void malformed_json_throws_serialization_exception() {
    assertRejected("{\"id\": ", "Malformed JSON");
    assertRejected("not json at all", "Malformed JSON");
    assertRejected("", "Empty message");
    assertRejected("[1, 2]", "must be a JSON object, was ARRAY");
    assertRejected("null", "must be a JSON object");
    assertRejected("\"text\"", "must be a JSON object, was STRING");
  }

  @Test
  void trailing_garbage_after_the_envelope_is_rejected() throws Exception {
    byte[] valid = serializer.serialize(deposited());
    byte[] withGarbage =
        (new String(valid, StandardCharsets.UTF_8) + " {\"more\":1}")
            .getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> serializer.deserializeEvent(withGarbage))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Malformed JSON");
  }

  @Test
  void each_missing_required_envelope_field_is_named() {
    for (String field :
        List.of("id", "correlationId", "sourceId", "eventType", "created", "event", "version")) {
      ObjectNode tree = serializer.toTree(deposited());
      tree.remove(field);

      assertThatThrownBy(() -> serializer.fromTree(tree))
          .as("without %s", field)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("'" + field + "'");
    }
  }

  @Test
  void each_missing_required_command_field_is_named() {
    for (String field : List.of("messageId", "correlationId", "commandType", "created", "body")) {
      ObjectNode tree = serializer.toTree(Command.create(new RequestTransfer("a", "b", null)));
      tree.remove(field);

      assertThatThrownBy(() -> serializer.commandFromTree(tree))
          .as("without %s", field)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("'" + field + "'");
    }
  }

  @Test
  void wrongly_typed_envelope_fields_are_named() {
    assertFieldRejected("id", json.getNodeFactory().numberNode(5), "'id' must be a string");
    assertFieldRejected("version", json.getNodeFactory().textNode("3"), "'version'");
    assertFieldRejected("version", json.getNodeFactory().numberNode(1.5), "'version'");
    assertFieldRejected(
        "created", json.getNodeFactory().textNode("yesterday"), "'created' is not an ISO-8601");
    assertFieldRejected("metadata", json.getNodeFactory().textNode("x"), "'metadata'");
    assertFieldRejected(
        "metadata", json.createObjectNode().put("n", 1), "Metadata 'n' must be a string");
    assertFieldRejected("version", json.getNodeFactory().numberNode(-1), "version must be >= 0");
  }

  @Test
  void envelope_bytes_read_the_same_as_their_tree_whatever_the_field_order() throws Exception {
    VersionedEvent event =
        new VersionedEvent(
            "id-3",
            "c-3",
            "cause",
            "wallet-3",
            "ada",
            null,
            3,
            "Deposited",
            Instant.parse("2024-03-01T10:15:30.120Z"),
            new Deposited(new BigDecimal("7.10"), 710, Instant.EPOCH, List.of("x")),
            Map.of("k", "v"));
    ObjectMapper exact = serializer.mapper(); // keeps 7.10 as it is
    ObjectNode written = (ObjectNode) exact.readTree(serializer.serialize(event));
    ObjectNode payloadFirst = exact.createObjectNode();
    payloadFirst.set("event", written.get("event"));
    payloadFirst.put("unknownEnvelopeField", "ignored");
    payloadFirst.setAll(written);

    for (ObjectNode tree : List.of(written, payloadFirst)) {
      VersionedEvent read = serializer.deserializeEvent(exact.writeValueAsBytes(tree));

      assertThat(read).isEqualTo(event).isEqualTo(serializer.fromTree(tree));
      assertThat(read.eventAs(Deposited.class).amount().scale()).isEqualTo(2);
    }
  }

  @Test
  void a_duplicated_envelope_field_reads_as_its_last_value_as_in_the_tree() {
    String text =
        new String(serializer.serialize(deposited()), StandardCharsets.UTF_8)
            .replace("\"sourceId\":\"wallet-1\"", "\"sourceId\":\"x\",\"sourceId\":\"wallet-9\"");

    VersionedEvent read = serializer.deserializeEvent(text.getBytes(StandardCharsets.UTF_8));

    assertThat(read.sourceId()).isEqualTo("wallet-9");
  }

  @Test
  void an_unknown_type_in_bytes_is_reported_even_when_the_payload_comes_first() throws Exception {
    ObjectNode tree = json.createObjectNode();
    tree.set("event", json.createObjectNode().put("text", "boom"));
    tree.setAll(serializer.toTree(deposited()).put("eventType", "Tripwire"));
    tree.set("event", json.createObjectNode().put("text", "boom"));

    assertThatThrownBy(() -> serializer.deserializeEvent(json.writeValueAsBytes(tree)))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining("Tripwire");
    assertThat(TRIPWIRE_LOADS).hasValue(0);
    assertThat(TRIPWIRE_INSTANCES).hasValue(0);
  }

  @Test
  void a_wrongly_typed_payload_field_in_bytes_names_the_event_type() throws Exception {
    ObjectNode tree = serializer.toTree(deposited());
    ((ObjectNode) tree.get("event")).put("cents", "many");

    assertThatThrownBy(() -> serializer.deserializeEvent(json.writeValueAsBytes(tree)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Cannot read Deposited from 'event'")
        .hasMessageContaining("cents");
  }

  @Test
  void a_wrongly_typed_payload_field_names_the_event_type() {
    ObjectNode tree = serializer.toTree(deposited());
    ((ObjectNode) tree.get("event")).put("cents", "many");

    assertThatThrownBy(() -> serializer.fromTree(tree))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Cannot read Deposited from 'event'")
        .hasMessageContaining("cents");
  }

  @Test
  void a_payload_that_is_not_an_object_is_rejected() {
    ObjectNode tree = serializer.toTree(deposited());
    tree.put("event", "a string");

    assertThatThrownBy(() -> serializer.fromTree(tree))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Cannot read Deposited");
  }

  @Test
  void the_streamed_bytes_and_the_tree_are_the_same_json() throws Exception {
    VersionedEvent withNulls = deposited();
    VersionedEvent withMetadata =
        new VersionedEvent(
            "id-2",
            "c-2",
            "cause",
            "wallet-2",
            "ada",
            "grace",
            2,
            "Deposited",
            Instant.parse("2024-01-01T00:00:00Z"),
            new Deposited(new BigDecimal("0.10"), 10, Instant.EPOCH, List.of()),
            Map.of("k", "v"));

    for (VersionedEvent event : List.of(withNulls, withMetadata)) {
      assertThat(json.readTree(serializer.serialize(event)))
          .isEqualTo(json.readTree(json.writeValueAsBytes(serializer.toTree(event))));
    }
  }

  @Test
  void command_bytes_read_in_one_pass_the_same_as_their_tree_whatever_the_field_order()
      throws Exception {
    Command command =
        Command.create(new RequestTransfer("a", "b", new BigDecimal("7.10")), "correlation-7")
            .causedBy("event-7")
            .withMetadata("actor", "ada");
    EnvelopeStreamReader onePass = new EnvelopeStreamReader(serializer.mapper(), registry);
    ObjectMapper exact = serializer.mapper();
    ObjectNode written = (ObjectNode) exact.readTree(serializer.serialize(command));
    ObjectNode bodyFirst = exact.createObjectNode();
    bodyFirst.set("body", written.get("body"));
    bodyFirst.put("unknownEnvelopeField", "ignored");
    bodyFirst.setAll(written);

    for (ObjectNode tree : List.of(written, bodyFirst)) {
      byte[] bytes = exact.writeValueAsBytes(tree);
      Command read = serializer.deserializeCommand(bytes);

      assertThat(read).isEqualTo(command).isEqualTo(serializer.commandFromTree(tree));
      assertThat(((RequestTransfer) read.body()).amount().scale()).isEqualTo(2);
    }
    assertThat(onePass.readCommand(serializer.serialize(command)))
        .as("a well-formed command takes the one-pass path")
        .isEqualTo(command);
  }

  /** An amount of 1e30000000 (ten characters) read fine and hung the handler adding to it. */
  @Test
  void a_command_whose_amount_could_not_be_written_back_is_refused_on_both_paths()
      throws Exception {
    Command command = Command.create(new RequestTransfer("a", "b", BigDecimal.ONE));
    String json =
        new String(serializer.serialize(command), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json).contains("\"amount\":1");
    byte[] bytes =
        json.replace("\"amount\":1", "\"amount\":1e30000000")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    // A tree the serializer's own mapper cannot build (it refuses the number too): another's.
    ObjectNode tree =
        (ObjectNode)
            new ObjectMapper()
                .enable(
                    com.fasterxml.jackson.databind.DeserializationFeature
                        .USE_BIG_DECIMAL_FOR_FLOATS)
                .readTree(bytes);

    assertThatThrownBy(() -> serializer.deserializeCommand(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("written plain");
    assertThatThrownBy(() -> serializer.commandFromTree(tree))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("written plain");
  }

  @Test
  void a_command_the_one_pass_reader_does_not_expect_goes_to_the_tree_with_its_message()
      throws Exception {
    EnvelopeStreamReader onePass = new EnvelopeStreamReader(serializer.mapper(), registry);
    Command command = Command.create(new RequestTransfer("a", "b", BigDecimal.ONE));
    String text = new String(serializer.serialize(command), StandardCharsets.UTF_8);
    String duplicated =
        text.replace(
            "\"messageId\":\"" + command.messageId() + "\"",
            "\"messageId\":\"first\",\"messageId\":\"" + command.messageId() + "\"");
    ObjectNode unknownBodyFirst = json.createObjectNode();
    unknownBodyFirst.set("body", json.createObjectNode().put("text", "boom"));
    unknownBodyFirst.setAll(serializer.toTree(command).put("commandType", "Tripwire"));
    unknownBodyFirst.set("body", json.createObjectNode().put("text", "boom"));
    ObjectNode wrongBody = serializer.toTree(command);
    ((ObjectNode) wrongBody.get("body")).set("amount", json.createObjectNode());
    ObjectNode numericId = serializer.toTree(command);
    numericId.put("messageId", 5);

    assertThat(onePass.readCommand(duplicated.getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(serializer.deserializeCommand(duplicated.getBytes(StandardCharsets.UTF_8)))
        .as("a duplicated field reads as its last value, as in the tree")
        .isEqualTo(command);
    assertThat(onePass.readCommand(json.writeValueAsBytes(unknownBodyFirst))).isNull();
    assertThatThrownBy(
            () -> serializer.deserializeCommand(json.writeValueAsBytes(unknownBodyFirst)))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining("Tripwire");
    assertThat(TRIPWIRE_LOADS).hasValue(0);
    assertThat(TRIPWIRE_INSTANCES).hasValue(0);
    assertThat(onePass.readCommand(json.writeValueAsBytes(wrongBody))).isNull();
    assertThatThrownBy(() -> serializer.deserializeCommand(json.writeValueAsBytes(wrongBody)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Cannot read RequestTransfer from 'body'");
    assertThat(onePass.readCommand(json.writeValueAsBytes(numericId))).isNull();
    assertThatThrownBy(() -> serializer.deserializeCommand(json.writeValueAsBytes(numericId)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'messageId' must be a string");
    for (String field : List.of("messageId", "correlationId", "commandType", "created", "body")) {
      ObjectNode without = serializer.toTree(command);
      without.remove(field);

      assertThat(onePass.readCommand(json.writeValueAsBytes(without))).as(field).isNull();
      assertThatThrownBy(() -> serializer.deserializeCommand(json.writeValueAsBytes(without)))
          .as("without %s", field)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("'" + field + "'");
    }
  }

  // ---------------------------------------------------------------- helpers

  private static VersionedEvent deposited() {
    return new VersionedEvent(
        "id-1",
        "c-1",
        null,
        "wallet-1",
        null,
        null,
        1,
        "Deposited",
        Instant.parse("2024-01-01T00:00:00Z"),
        new Deposited(new BigDecimal("10.50"), 1050, Instant.EPOCH, List.of("t")),
        Map.of());
  }

  private void assertRejected(String text, String message) {
    assertThatThrownBy(() -> serializer.deserializeEvent(text.getBytes(StandardCharsets.UTF_8)))
        .as("reading %s", text)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(message);
    assertThatThrownBy(() -> serializer.deserializeCommand(text.getBytes(StandardCharsets.UTF_8)))
        .as("reading %s as a command", text)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(message);
  }

  private void assertFieldRejected(
      String field, com.fasterxml.jackson.databind.JsonNode value, String message) {
    ObjectNode tree = serializer.toTree(deposited());
    tree.set(field, value);

    assertThatThrownBy(() -> serializer.fromTree(tree))
        .as("%s = %s", field, value)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(message);
    assertThatThrownBy(() -> serializer.deserializeEvent(json.writeValueAsBytes(tree)))
        .as("%s = %s from bytes", field, value)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(message);
  }
}
