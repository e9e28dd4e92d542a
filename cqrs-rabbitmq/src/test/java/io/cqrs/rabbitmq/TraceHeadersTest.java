package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.impl.LongStringHelper;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceHeadersTest {
  record Happened(String what) {}

  private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String OTHER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private static VersionedEvent event(Map<String, String> metadata) {
    return VersionedEvent.builder("s-1", 1, new Happened("x")).metadata(metadata).build();
  }

  private static Inbound delivery(Map<String, Object> headers) {
    return new Inbound(
        "q",
        new Envelope(1, false, "x", "k"),
        new AMQP.BasicProperties.Builder().headers(headers).build(),
        new byte[0]);
  }

  private static LongString text(String value) {
    return LongStringHelper.asLongString(value);
  }

  @Test
  void the_trace_context_of_the_metadata_is_written_beside_the_other_headers() {
    Map<String, Object> headers =
        TraceHeaders.withTrace(
            Map.of("traceparent", PARENT, "tracestate", "k=v", "tenant", "acme"),
            Map.of(CqrsHeaders.VERSION, 1L));

    assertThat(headers)
        .containsEntry("traceparent", PARENT)
        .containsEntry("tracestate", "k=v")
        .containsEntry(CqrsHeaders.VERSION, 1L)
        .doesNotContainKey("tenant");
    assertThat(TraceHeaders.withTrace(Map.of(), null)).isNull();
  }

  @Test
  void a_valid_trace_header_wins_over_the_bodys_copy() {
    VersionedEvent consumed =
        TraceHeaders.onto(
            event(Map.of("traceparent", PARENT)),
            delivery(Map.of("traceparent", text(OTHER), "tracestate", text("a=b"))));

    assertThat(consumed.metadata(MetadataKey.TRACEPARENT)).contains(OTHER);
    assertThat(consumed.metadata(MetadataKey.TRACESTATE)).contains("a=b");
  }

  @Test
  void forged_or_oversized_trace_headers_are_ignored() {
    VersionedEvent original = event(Map.of("traceparent", PARENT));
    Map<String, Object> forged = new HashMap<>();
    forged.put("traceparent", text("00-zz-not-a-trace\n-01"));
    assertThat(TraceHeaders.onto(original, delivery(forged))).isSameAs(original);

    forged.put("traceparent", text("0".repeat(1_000_000)));
    assertThat(TraceHeaders.onto(original, delivery(forged))).isSameAs(original);

    Map<String, Object> badState = new HashMap<>();
    badState.put("traceparent", text(OTHER));
    badState.put("tracestate", text("k=v\u0000\r\n"));
    VersionedEvent consumed = TraceHeaders.onto(original, delivery(badState));
    assertThat(consumed.metadata(MetadataKey.TRACEPARENT)).contains(OTHER);
    assertThat(consumed.metadata()).doesNotContainKey("tracestate");
  }

  @Test
  void a_winning_trace_header_without_a_state_blanks_the_bodys_stale_state() {
    VersionedEvent consumed =
        TraceHeaders.onto(
            event(Map.of("traceparent", PARENT, "tracestate", "vendor=old")),
            delivery(Map.of("traceparent", text(OTHER))));

    assertThat(consumed.metadata(MetadataKey.TRACEPARENT)).contains(OTHER);
    assertThat(consumed.metadata(MetadataKey.TRACESTATE)).contains("");
    assertThat(TraceHeaders.withTrace(consumed.metadata(), null))
        .containsEntry("traceparent", OTHER)
        .doesNotContainKey("tracestate");
  }

  @Test
  void a_message_without_trace_headers_keeps_its_envelope() {
    VersionedEvent original = event(Map.of("traceparent", PARENT));
    assertThat(TraceHeaders.onto(original, delivery(null))).isSameAs(original);
    assertThat(TraceHeaders.onto(original, delivery(Map.of("traceparent", text(PARENT)))))
        .isSameAs(original);
  }
}
