package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile stored input to the schema-evolution readers (docs/schema-evolution.md): revisions, an
 * upcaster's failures, bad splits, deep JSON, bad type names, the reserved split name. Each gives a
 * {@link SerializationException} (or {@link UnknownTypeException}) naming the problem, never an
 * {@link Error} or an event read wrongly.
 */
class SchemaHostileInputTest {
  @TypeName(revision = 3)
  record Dep(long amount, String currency) {}

  record Other(String x) {}

  @TypeName(revision = 2)
  record A(String a) {}

  @TypeName(revision = 2)
  record B(String b) {}

  @TypeName(revision = 2)
  record Cmd(String id) {}

  static String stored(String type, String revision, String payload) {
    return "{\"id\":\"e-1\",\"correlationId\":\"c-1\",\"causationId\":null,\"sourceId\":\"s-1\","
        + "\"actor\":null,\"onBehalfOf\":null,\"version\":1,\"eventType\":\""
        + type
        + "\""
        + (revision == null ? "" : ",\"revision\":" + revision)
        + ",\"created\":\"2024-01-02T03:04:05Z\",\"event\":"
        + payload
        + ",\"metadata\":{}}";
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  TypeRegistry registry() {
    return new TypeRegistry()
        .registerEvents(Dep.class, Other.class, A.class, B.class)
        .registerCommands(Cmd.class)
        .upcaster(Dep.class, 1, p -> p.put("currency", "EUR"))
        .upcaster(Dep.class, 2, p -> p)
        .upcaster(Cmd.class, 1, p -> p);
  }

  @Test
  void hostile_revisions_fail_with_serialization_exception() {
    EventSerializer s = new EventSerializer(registry());
    for (String rev :
        List.of(
            "9223372036854775807",
            "-1",
            "0",
            "-2147483648",
            "2147483647",
            "\"2\"",
            "2.0",
            "1e0",
            "true",
            "[]",
            "{}",
            "99999999999999999999999999999",
            "4")) {
      Throwable t =
          catchThrowable(() -> s.deserializeEvent(utf8(stored("Dep", rev, "{\"amount\":1}"))));
      assertThat(t).as("revision " + rev).isInstanceOf(SerializationException.class);
      Throwable t2 =
          catchThrowable(
              () -> s.fromTree(s.mapper().readTree(stored("Dep", rev, "{\"amount\":1}"))));
      assertThat(t2).as("tree revision " + rev).isInstanceOf(SerializationException.class);
    }
  }

  @Test
  void hostile_revisions_in_split_parts_fail_with_serialization_exception() {
    EventSerializer s = new EventSerializer(registry());
    for (String rev : List.of("-1", "0", "9223372036854775807", "\"x\"", "5")) {
      String split =
          "{\"storedType\":\"Dep\",\"events\":[{\"eventType\":\"Dep\",\"revision\":"
              + rev
              + ",\"event\":{\"amount\":1}},{\"eventType\":\"Other\",\"event\":{\"x\":\"y\"}}]}";
      Throwable t =
          catchThrowable(() -> s.deserializeEvent(utf8(stored("cqrs.SplitEvent", null, split))));
      assertThat(t).as("part revision " + rev).isInstanceOf(SerializationException.class);
    }
  }

  @Test
  void a_split_event_on_the_wire_with_unknown_stored_type_is_refused() {
    EventSerializer s = new EventSerializer(registry());
    String split = "{\"storedType\":\"NoSuchType\",\"events\":[]}";
    Throwable t =
        catchThrowable(() -> s.deserializeEvent(utf8(stored("cqrs.SplitEvent", null, split))));
    assertThat(t).as("storedType of an unregistered name").isInstanceOf(UnknownTypeException.class);
  }

  @Test
  void hostile_command_revisions_fail_with_serialization_exception() {
    EventSerializer s = new EventSerializer(registry());
    for (String rev : List.of("-1", "0", "9223372036854775807", "\"2\"", "3", "1.5")) {
      String json =
          "{\"messageId\":\"m\",\"correlationId\":\"c\",\"commandType\":\"Cmd\",\"revision\":"
              + rev
              + ",\"created\":\"2024-01-02T03:04:05Z\",\"body\":{\"id\":\"x\"}}";
      Throwable t = catchThrowable(() -> s.deserializeCommand(utf8(json)));
      assertThat(t).as("command revision " + rev).isInstanceOf(SerializationException.class);
    }
  }

  @Test
  void upcaster_returning_null_or_throwing_gives_serialization_exception() {
    TypeRegistry r =
        new TypeRegistry()
            .registerEvents(A.class, B.class)
            .upcaster(A.class, 1, p -> null)
            .upcaster(
                B.class,
                1,
                p -> {
                  throw new IllegalStateException("boom");
                });
    EventSerializer s = new EventSerializer(r);
    assertThatThrownBy(() -> s.deserializeEvent(utf8(stored("A", null, "{}"))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("returned no payload");
    assertThatThrownBy(() -> s.deserializeEvent(utf8(stored("B", null, "{}"))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("boom");
  }

  @Test
  void upcaster_throwing_an_error_gives_serialization_exception() {
    TypeRegistry r =
        new TypeRegistry()
            .registerEvents(A.class)
            .upcaster(
                A.class,
                1,
                p -> {
                  throw new StackOverflowError("deep");
                });
    EventSerializer s = new EventSerializer(r);
    assertThatThrownBy(() -> s.deserializeEvent(utf8(stored("A", null, "{}"))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("The upcaster of")
        .hasCauseInstanceOf(StackOverflowError.class);
    TypeRegistry exhausted =
        new TypeRegistry()
            .registerEvents(A.class)
            .upcaster(
                A.class,
                1,
                p -> {
                  throw new OutOfMemoryError("heap");
                });
    // After which the JVM cannot be trusted: not taken for a bad message.
    assertThatThrownBy(
            () -> new EventSerializer(exhausted).deserializeEvent(utf8(stored("A", null, "{}"))))
        .isInstanceOf(OutOfMemoryError.class);
  }

  @Test
  void splitting_upcaster_hostile_results() {
    TypeRegistry r =
        new TypeRegistry()
            .registerEvents(A.class, B.class, Other.class)
            .splittingUpcaster(
                A.class,
                1,
                List.of(A.class, Other.class),
                p -> {
                  String mode = p.path("mode").asText();
                  List<SplittingUpcaster.Part> parts = new ArrayList<>();
                  switch (mode) {
                    case "null" -> {
                      return null;
                    }
                    case "nullpart" -> parts.add(null);
                    case "undeclared" -> parts.add(SplittingUpcaster.part(B.class, 2, p));
                    case "ownlow" -> parts.add(SplittingUpcaster.part(A.class, 1, p));
                    case "future" -> parts.add(SplittingUpcaster.part(Other.class, 7, p));
                    case "zero" -> {}
                    case "throw" -> throw new IllegalArgumentException("bad split");
                    default -> {}
                  }
                  return parts;
                });
    EventSerializer s = new EventSerializer(r);
    for (String mode : List.of("null", "nullpart", "undeclared", "ownlow", "future", "throw")) {
      Throwable t =
          catchThrowable(
              () -> s.deserializeEvent(utf8(stored("A", null, "{\"mode\":\"" + mode + "\"}"))));
      assertThat(t).as(mode).isInstanceOf(SerializationException.class);
    }
    VersionedEvent dropped = s.deserializeEvent(utf8(stored("A", null, "{\"mode\":\"zero\"}")));
    assertThat(dropped.isSplit()).isTrue();
    assertThat(dropped.parts()).isEmpty();
    assertThat(s.deserializeEvent(s.serialize(dropped))).isEqualTo(dropped);
  }

  @Test
  void a_cycle_of_splitting_upcasters_fails_with_a_clear_error() {
    TypeRegistry r =
        new TypeRegistry()
            .registerEvents(A.class, B.class)
            .splittingUpcaster(
                A.class,
                1,
                List.of(B.class),
                p ->
                    List.of(
                        SplittingUpcaster.part(B.class, 1, p.deepCopy()),
                        SplittingUpcaster.part(B.class, 1, p.deepCopy())))
            .splittingUpcaster(
                B.class,
                1,
                List.of(A.class),
                p ->
                    List.of(
                        SplittingUpcaster.part(A.class, 1, p.deepCopy()),
                        SplittingUpcaster.part(A.class, 1, p.deepCopy())));
    r.validateUpcasters();
    EventSerializer s = new EventSerializer(r);
    assertThatThrownBy(() -> s.deserializeEvent(utf8(stored("A", null, "{}"))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("deep");
  }

  @Test
  void deep_json_payloads_fail_cleanly() {
    EventSerializer s = new EventSerializer(registry());
    for (int depth : List.of(999, 1500, 100_000)) {
      String deep = "{\"amount\":1,\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
      Throwable t = catchThrowable(() -> s.deserializeEvent(utf8(stored("Dep", null, deep))));
      // either reads (with the upcasters) or fails as a SerializationException: never an Error
      assertThat(t == null || t instanceof SerializationException)
          .as("depth " + depth + ": " + t)
          .isTrue();
    }
  }

  @Test
  void bad_unicode_type_names_give_unknown_type() {
    EventSerializer s = new EventSerializer(registry());
    for (String name : List.of("\\ud800", "Dep\\u0000", "D\\u00e9p", "\\uffff\\ufffe", "Dep\\n")) {
      Throwable t =
          catchThrowable(() -> s.deserializeEvent(utf8(stored(name, null, "{\"amount\":1}"))));
      assertThat(t).as(name).isInstanceOf(UnknownTypeException.class);
    }
    // invalid UTF-8 bytes in the type name
    byte[] json = utf8(stored("DeX", null, "{\"amount\":1}"));
    String text = new String(json, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("DeX") + 2;
    json[at] = (byte) 0xC3; // truncated 2-byte sequence followed by '"'
    Throwable t = catchThrowable(() -> s.deserializeEvent(json));
    assertThat(t).isInstanceOf(CqrsException.class);
  }

  @TypeName("cqrs.SplitEvent")
  record Impostor(String storedType) {}

  @Test
  void registration_mistakes() {
    @TypeName(value = "Four", revision = 4)
    record Four(String x) {}
    TypeRegistry gap =
        new TypeRegistry()
            .registerEvents(Four.class)
            .upcaster(Four.class, 1, p -> p)
            .upcaster(Four.class, 3, p -> p);
    assertThatThrownBy(gap::validateUpcasters)
        .hasMessage(
            "The upcasters of Four have a gap: none from revision 2 to 3, between the one from revision 1 and revision 4");
    TypeRegistry top =
        new TypeRegistry().registerEvents(Four.class).upcaster(Four.class, 2, p -> p);
    assertThatThrownBy(top::validateUpcasters).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                new TypeRegistry()
                    .registerEvents(Four.class)
                    .upcaster(Four.class, 1, p -> p)
                    .splittingUpcaster(Four.class, 1, List.of(), p -> List.of()))
        .hasMessage("Two upcasters of Four from revision 1 to 2");
    assertThatThrownBy(
            () -> new TypeRegistry().registerEvents(Four.class).upcaster(Four.class, 4, p -> p))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new TypeRegistry()
                    .registerEvents(Four.class)
                    .upcaster(Four.class, Integer.MIN_VALUE, p -> p))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void a_split_event_on_the_wire_names_its_stored_type_by_the_current_name() {
    EventSerializer s = new EventSerializer(registry().alias("OldDep", Dep.class));
    String split = "{\"storedType\":\"OldDep\",\"events\":[]}";
    VersionedEvent read = s.deserializeEvent(utf8(stored("cqrs.SplitEvent", null, split)));
    assertThat(((SplitEvent) read.event()).storedType()).isEqualTo("Dep");
  }

  @Test
  void the_split_event_name_stays_the_frameworks_own() {
    assertThatThrownBy(() -> new TypeRegistry().registerEvents(Impostor.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'cqrs.SplitEvent' is the framework's own");
    assertThatThrownBy(
            () ->
                new TypeRegistry()
                    .registerEvents(Other.class)
                    .alias("cqrs.SplitEvent", Other.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("it is the framework's own name");
  }
}
