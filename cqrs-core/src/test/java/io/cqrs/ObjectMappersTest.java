package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ObjectMappersTest {
  record Payment(BigDecimal amount, Instant at) {}

  @Test
  void amounts_keep_their_scale_and_times_are_iso_text() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();
    Payment payment = new Payment(new BigDecimal("10.50"), Instant.parse("2024-02-29T12:00:00Z"));

    String json = mapper.writeValueAsString(payment);

    assertThat(json).isEqualTo("{\"amount\":10.50,\"at\":\"2024-02-29T12:00:00Z\"}");
    assertThat(mapper.readValue(json, Payment.class)).isEqualTo(payment);
    assertThat(mapper.readTree(json).get("amount").decimalValue()).isEqualTo("10.50");
    assertThat(mapper.writeValueAsString(new BigDecimal("1E+3"))).isEqualTo("1000");
  }

  @Test
  void unknown_properties_are_ignored_and_trailing_tokens_rejected() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();

    assertThat(mapper.readValue("{\"amount\":1,\"gone\":true}", Payment.class).amount())
        .isEqualTo("1");
    assertThatThrownBy(() -> mapper.readTree("{\"amount\":1} {}"))
        .isInstanceOf(JsonProcessingException.class)
        .hasMessageContaining("Trailing token");
  }

  @Test
  void configure_copies_the_callers_mapper_and_leaves_it_alone() throws Exception {
    ObjectMapper own = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    ObjectMapper configured = ObjectMappers.configure(own);

    assertThat(configured).isNotSameAs(own);
    assertThat(configured.isEnabled(SerializationFeature.INDENT_OUTPUT)).isTrue();
    assertThat(configured.isEnabled(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)).isFalse();
    assertThat(own.isEnabled(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)).isTrue();
    assertThat(own.readTree("{} {}").isObject()).isTrue();
  }
}
