package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the AMQP client would refuse after numbering a message is refused before it. */
class MessageLimitsTest {

  @Test
  void an_id_quoted_in_a_refusal_is_cut_between_characters_not_inside_a_surrogate_pair() {
    String id = "x".repeat(63) + "\uD83D\uDE00".repeat(10); // an emoji across the 64th char

    String quoted = MessageLimits.abbreviate(id);

    assertThat(quoted).isEqualTo("'" + "x".repeat(63) + "...'");
    assertThat(MessageLimits.abbreviate("x".repeat(64))).isEqualTo("'" + "x".repeat(64) + "'");
    assertThat(MessageLimits.abbreviate("x".repeat(65))).isEqualTo("'" + "x".repeat(64) + "...'");
  }

  @Test
  void a_body_over_the_maximum_is_refused_naming_its_size_and_the_setting() {
    OutboundMessage message = message(props(), Map.of()); // a body of 10 bytes

    assertThatCode(() -> MessageLimits.check(List.of(message), 10)).doesNotThrowAnyException();
    assertThatThrownBy(() -> MessageLimits.check(List.of(message), 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("its body is 10 bytes, more than the bus's maxMessageBytes of 9");
  }

  @Test
  void a_short_string_is_measured_in_bytes_of_utf8_not_in_chars() {
    String fits = "é".repeat(127) + "x"; // 255 bytes
    String tooLong = "é".repeat(128); // 128 chars, 256 bytes

    assertThatCode(() -> MessageLimits.check(message(props().correlationId(fits), Map.of())))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> MessageLimits.check(message(props().correlationId(tooLong), Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("correlation_id property is 256 bytes long in UTF-8")
        .hasMessageContaining("at most 255");
  }

  @Test
  void utf8_lengths_are_those_the_client_encodes() {
    for (String text :
        List.of("", "ascii", "é", "€", "😀", "a😀é€", "\uD800 lone surrogates \uDC00", "\uDBFF")) {
      assertThat(MessageLimits.utf8Length(text))
          .as(text)
          .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void every_short_string_of_a_message_is_checked_and_named() {
    String tooLong = "x".repeat(256);

    assertThatThrownBy(() -> MessageLimits.check(message(props().messageId(tooLong), Map.of())))
        .hasMessageContaining("message_id property");
    assertThatThrownBy(() -> MessageLimits.check(message(props().type(tooLong), Map.of())))
        .hasMessageContaining("type property");
    assertThatThrownBy(() -> MessageLimits.check(message(props(), Map.of(tooLong, "v"))))
        .hasMessageContaining("header name");
    assertThatThrownBy(
            () ->
                MessageLimits.check(
                    new OutboundMessage(
                        "shop.commands", tooLong, "AddItem", props().build(), null, new byte[0])))
        .hasMessageContaining("routing key");
  }

  @Test
  void content_headers_larger_than_the_frame_max_are_refused_with_both_sizes() {
    OutboundMessage message = message(props(), Map.of("tracestate", "x".repeat(5_000)));
    AMQP.BasicProperties sent = message.propertiesWithSeq(1);

    assertThatCode(() -> MessageLimits.checkHeaderFrame(message, sent, 131_072))
        .doesNotThrowAnyException();
    assertThatCode(() -> MessageLimits.checkHeaderFrame(message, sent, 0))
        .as("no frame_max")
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> MessageLimits.checkHeaderFrame(message, sent, 4_096))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than the frame_max of 4096 bytes")
        .hasMessageMatching("(?s).*take 5\\d{3} bytes.*");
  }

  @Test
  void nested_header_values_are_measured_exactly() {
    OutboundMessage small = message(props(), Map.of("x-list", List.of("a", "b")));
    OutboundMessage large = message(props(), Map.of("x-list", List.of("y".repeat(5_000))));

    assertThatCode(() -> MessageLimits.checkHeaderFrame(small, small.propertiesWithSeq(1), 4_096))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () -> MessageLimits.checkHeaderFrame(large, large.propertiesWithSeq(1), 4_096))
        .hasMessageContaining("frame_max");
  }

  private static AMQP.BasicProperties.Builder props() {
    return new AMQP.BasicProperties.Builder().messageId("m-1").type("AddItem");
  }

  private static OutboundMessage message(
      AMQP.BasicProperties.Builder properties, Map<String, Object> headers) {
    return new OutboundMessage(
        "shop.commands", "AddItem", "AddItem", properties.build(), headers, new byte[10]);
  }
}
