package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.impl.LongStringHelper;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Forged {@code traceparent} headers that match the shape of W3C trace context but are not valid
 * trace contexts (W3C Trace Context, section 3.2: version {@code ff} is forbidden, an all-zero
 * trace id or parent id is invalid). {@link TraceHeaders}' javadoc: "A header that is not a valid
 * trace context (a forged or oversized one) is ignored; a valid one wins over the body's copy";
 * docs/observability.md: the buses "take a valid header back into the consumed envelope's
 * metadata". Such a header must not replace the valid context the body carries: if it does, the
 * handler's propagator reads "no context" and the message's trace is cut off by one header.
 */
class TraceHeadersAdversaryTest {
  record Happened(String what) {}

  private static final String BODY = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private static Inbound delivery(String traceparent) {
    return new Inbound(
        "q",
        new Envelope(1, false, "x", "k"),
        new AMQP.BasicProperties.Builder()
            .headers(Map.of("traceparent", LongStringHelper.asLongString(traceparent)))
            .build(),
        new byte[0]);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "00-00000000000000000000000000000000-b7ad6b7169203331-01", // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // all-zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
      })
  void an_invalid_traceparent_header_does_not_replace_the_bodys_valid_one(String forged) {
    VersionedEvent original =
        VersionedEvent.builder("s-1", 1, new Happened("x"))
            .metadata(Map.of("traceparent", BODY))
            .build();

    VersionedEvent consumed = TraceHeaders.onto(original, delivery(forged));

    assertThat(consumed.metadata(MetadataKey.TRACEPARENT)).contains(BODY);
  }
}
