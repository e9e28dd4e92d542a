package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.impl.LongStringHelper;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.MetadataKey;
import io.cqrs.SerializationException;
import io.cqrs.SplittingUpcaster;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What {@link EnvelopeDecoders} make of a delivery: its body held to its {@code type} property, and
 * the trace context of its headers taken into its metadata.
 */
class EnvelopeDecodersTest {
  /** Revision 1 was a transfer out of an account, to another one or to the outside world. */
  @TypeName(revision = 2)
  record Transferred(String from, String to, long amount) {}

  record Debited(String account, long amount) {}

  record Credited(String account, long amount) {}

  record Renamed(String name) {}

  record Deposit(String account) {}

  private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  /**
   * A transfer at revision 1 becomes a debit, and, where it went to another account, that account's
   * credit: a split into one event where it did not.
   */
  private static TypeRegistry types() {
    return new TypeRegistry()
        .registerEvents(Transferred.class, Debited.class, Credited.class, Renamed.class)
        .registerCommands(Deposit.class)
        .splittingUpcaster(
            Transferred.class,
            1,
            List.of(Debited.class, Credited.class),
            transfer -> {
              List<SplittingUpcaster.Part> parts = new ArrayList<>();
              parts.add(part(Debited.class, transfer.get("from").asText(), transfer));
              JsonNode to = transfer.get("to");
              if (to != null && !to.isNull()) {
                parts.add(part(Credited.class, to.asText(), transfer));
              }
              return parts;
            });
  }

  private static SplittingUpcaster.Part part(Class<?> type, String account, ObjectNode transfer) {
    ObjectNode payload = transfer.objectNode().put("account", account);
    payload.set("amount", transfer.get("amount"));
    return SplittingUpcaster.part(type, 1, payload);
  }

  private final EventSerializer serializer = new EventSerializer(types());

  /** A transfer to nobody, as an earlier build published it: revision 1, no revision field. */
  private static byte[] earlierTransfer() {
    return """
        {"id":"e-1","correlationId":"c-1","causationId":null,"sourceId":"acc-1","actor":null,\
        "onBehalfOf":null,"version":3,"eventType":"Transferred","created":"2024-01-02T03:04:05Z",\
        "event":{"from":"acc-1","to":null,"amount":5},"metadata":{}}"""
        .getBytes(StandardCharsets.UTF_8);
  }

  private static Inbound delivery(String type, Map<String, Object> headers, byte[] body) {
    return new Inbound(
        "q",
        new Envelope(1, false, "x", "k"),
        new AMQP.BasicProperties.Builder().type(type).headers(headers).build(),
        body);
  }

  @Test
  void an_event_an_earlier_build_published_that_now_splits_into_one_event_reads_as_that_event() {
    VersionedEvent event =
        EnvelopeDecoders.events(serializer)
            .decode(delivery("Transferred", null, earlierTransfer()));

    assertThat(event.id()).isEqualTo("e-1");
    assertThat(event.eventType()).isEqualTo("Debited");
    assertThat(event.event()).isEqualTo(new Debited("acc-1", 5));
  }

  @Test
  void a_type_property_that_is_not_the_type_the_body_was_stored_as_still_disagrees() {
    MessageProcessor.Decoder<VersionedEvent> events = EnvelopeDecoders.events(serializer);
    byte[] debited =
        serializer.serialize(VersionedEvent.builder("acc-1", 3, new Debited("acc-1", 5)).build());

    // Unrelated to the body; one of the other parts of the split; and the split's own type beside
    // a body that was never one.
    assertThatThrownBy(() -> events.decode(delivery("Renamed", null, earlierTransfer())))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("its type property and its body disagree");
    assertThatThrownBy(() -> events.decode(delivery("Credited", null, earlierTransfer())))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("its type property and its body disagree");
    assertThatThrownBy(() -> events.decode(delivery("Transferred", null, debited)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("its type property and its body disagree");
    assertThat(events.decode(delivery("Debited", null, debited)).event())
        .isEqualTo(new Debited("acc-1", 5));
  }

  /** As many entries as metadata may hold, none of them a trace context. */
  private static Map<String, String> fullOfEntries() {
    Map<String, String> metadata = new HashMap<>();
    for (int i = 0; i < MetadataKey.MAX_ENTRIES; i++) {
      metadata.put("k" + i, "v" + i);
    }
    return metadata;
  }

  /** As many characters as metadata may hold, in one entry. */
  private static Map<String, String> fullOfCharacters() {
    return Map.of("big", "x".repeat(MetadataKey.MAX_TOTAL_LENGTH - "big".length()));
  }

  private static Map<String, Object> traceHeaders() {
    return Map.of(
        "traceparent",
        LongStringHelper.asLongString(PARENT),
        "tracestate",
        LongStringHelper.asLongString("vendor=1"));
  }

  @Test
  void an_event_at_the_metadata_limits_with_a_trace_header_decodes_with_its_bodys_metadata() {
    MessageProcessor.Decoder<VersionedEvent> events = EnvelopeDecoders.events(serializer);

    for (Map<String, String> full : List.of(fullOfEntries(), fullOfCharacters())) {
      VersionedEvent sent =
          VersionedEvent.builder("acc-1", 3, new Debited("acc-1", 5)).metadata(full).build();

      VersionedEvent event =
          events.decode(delivery("Debited", traceHeaders(), serializer.serialize(sent)));

      assertThat(event.metadata()).isEqualTo(full);
    }
  }

  @Test
  void a_command_at_the_metadata_limits_with_a_trace_header_decodes_with_its_bodys_metadata() {
    MessageProcessor.Decoder<Command> commands = EnvelopeDecoders.commands(serializer);

    for (Map<String, String> full : List.of(fullOfEntries(), fullOfCharacters())) {
      Command sent = Command.builder(new Deposit("acc-1")).metadata(full).build();

      Command command =
          commands.decode(delivery("Deposit", traceHeaders(), serializer.serialize(sent)));

      assertThat(command.metadata()).isEqualTo(full);
    }
  }

  @Test
  void a_trace_header_that_fits_is_still_taken_into_the_metadata() {
    Map<String, String> roomForOne = fullOfEntries();
    roomForOne.remove("k0");
    VersionedEvent sent =
        VersionedEvent.builder("acc-1", 3, new Debited("acc-1", 5)).metadata(roomForOne).build();

    VersionedEvent event =
        EnvelopeDecoders.events(serializer)
            .decode(
                delivery(
                    "Debited",
                    Map.of("traceparent", LongStringHelper.asLongString(PARENT)),
                    serializer.serialize(sent)));

    assertThat(event.metadata(MetadataKey.TRACEPARENT)).contains(PARENT);
    assertThat(event.metadata()).hasSize(MetadataKey.MAX_ENTRIES);
  }
}
