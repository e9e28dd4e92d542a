package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.jsontype.impl.LaissezFaireSubTypeValidator;
import java.math.BigDecimal;
import java.net.URL;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
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

  record Scheduled(ZonedDateTime at, OffsetDateTime offset) {}

  /**
   * Jackson's defaults moved both to UTC on reading (2023-12-31T23:30Z): a handler replaying the
   * event saw another day than the one that raised it.
   */
  @Test
  void zoned_and_offset_times_read_back_in_their_own_zone_and_offset() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();
    ZonedDateTime berlin = ZonedDateTime.of(2024, 1, 1, 0, 30, 0, 0, ZoneId.of("Europe/Berlin"));
    Scheduled scheduled = new Scheduled(berlin, berlin.toOffsetDateTime());

    String json = mapper.writeValueAsString(scheduled);
    Scheduled read = mapper.readValue(json, Scheduled.class);

    assertThat(json).contains("2024-01-01T00:30:00+01:00[Europe/Berlin]");
    assertThat(read).isEqualTo(scheduled);
    assertThat(read.at().toLocalDate()).isEqualTo(berlin.toLocalDate());
    assertThat(mapper.readTree(json).get("offset").asText()).isEqualTo("2024-01-01T00:30:00+01:00");
  }

  record Anything(Object data) {}

  /**
   * An application mapper with default typing, handed to cqrs, made every message name the classes
   * its values are built as: a message could make an Object field any class on the class path.
   */
  @Test
  void an_application_mappers_default_typing_is_not_inherited() throws Exception {
    ObjectMapper own =
        new ObjectMapper()
            .activateDefaultTyping(
                LaissezFaireSubTypeValidator.instance, ObjectMapper.DefaultTyping.NON_FINAL);
    ObjectMapper mapper = ObjectMappers.configure(own);

    Anything read = mapper.readValue("{\"data\":[\"java.net.URL\",\"http://x\"]}", Anything.class);
    String written = mapper.writeValueAsString(new Anything(new ArrayList<>(List.of("x"))));

    assertThat(read.data()).isInstanceOf(List.class).isNotInstanceOf(URL.class);
    assertThat(written).isEqualTo("{\"data\":[\"x\"]}");
    assertThat(own.writeValueAsString(new Anything(new ArrayList<>()))).contains("java.util");
  }

  /**
   * 1e30000000 is ten characters (under any length limit) that read as a decimal the same mapper
   * cannot write back, and whose arithmetic in a handler runs for minutes. What is read must read
   * again once written plain: at most the parser's 1,000 characters.
   */
  @Test
  void a_decimal_that_could_not_be_written_back_is_refused_on_reading() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();

    for (String number : List.of("1e30000000", "1e-30000000", "1E+1000", "1e-999", "-1e-998")) {
      assertThatThrownBy(() -> mapper.readValue("{\"amount\":" + number + "}", Payment.class))
          .as(number)
          .isInstanceOf(InvalidFormatException.class)
          .hasMessageContaining("written plain");
    }
    for (String number : List.of("1E+999", "1e-998", "-1e-997", "-123.45")) {
      BigDecimal read = mapper.readValue("{\"amount\":" + number + "}", Payment.class).amount();
      String written = mapper.writeValueAsString(new Payment(read, null));
      assertThat(mapper.readValue(written, Payment.class).amount())
          .as(number)
          .isEqualByComparingTo(read);
      assertThat(ObjectMappers.plainLength(read)).isEqualTo(read.toPlainString().length());
    }
  }

  record Untyped(java.util.Map<String, Object> attributes, Object any, JsonNode tree) {}

  /** Untyped fields and trees read decimals past the typed bound (1e30000000 in a map). */
  @Test
  void a_decimal_that_could_not_be_written_back_is_refused_in_untyped_fields_and_trees() {
    ObjectMapper mapper = ObjectMappers.create();

    for (String json :
        List.of(
            "{\"attributes\":{\"x\":1e30000000}}",
            "{\"attributes\":{\"nested\":[1,{\"y\":1e-30000000}]}}",
            "{\"any\":1e30000000}",
            "{\"tree\":{\"x\":1e30000000}}")) {
      assertThatThrownBy(() -> mapper.readValue(json, Untyped.class))
          .as(json)
          .hasMessageContaining("written plain");
    }
    assertThatThrownBy(() -> mapper.readTree("{\"x\":1e30000000}"))
        .hasMessageContaining("written plain");
  }

  @Test
  void untyped_fields_and_trees_read_ordinary_numbers_as_before() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();

    Untyped read =
        mapper.readValue(
            "{\"attributes\":{\"x\":10.50,\"n\":3,\"l\":[1.5,{\"s\":\"t\"}]},\"any\":2.25,"
                + "\"tree\":{\"y\":1.10}}",
            Untyped.class);

    assertThat(read.attributes().get("x")).isEqualTo(new BigDecimal("10.50"));
    assertThat(read.attributes().get("n")).isEqualTo(3);
    assertThat(read.attributes().get("l"))
        .isEqualTo(List.of(new BigDecimal("1.5"), java.util.Map.of("s", "t")));
    assertThat(read.any()).isEqualTo(new BigDecimal("2.25"));
    assertThat(read.tree().get("y").decimalValue()).isEqualTo(new BigDecimal("1.10"));
  }

  record Counted(java.math.BigInteger count, Object any, java.util.Map<String, Object> more) {}

  record Named(java.util.Map<String, String> tags, String text) {}

  /**
   * What is written must read again: an event with a 1,001-character number was stored and every
   * read of its commit refused, so the number is refused on writing, typed or not.
   */
  @Test
  void a_number_no_reader_could_read_is_refused_on_writing() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();
    java.math.BigInteger tooLong = java.math.BigInteger.TEN.pow(1_000); // 1,001 digits
    BigDecimal tooLongPlain = new BigDecimal("1E+1000");

    for (Object value :
        List.of(
            new Counted(tooLong, null, null),
            new Counted(null, tooLong, null),
            new Counted(null, tooLongPlain, null),
            new Counted(null, null, java.util.Map.of("x", List.of(tooLong))),
            new Payment(tooLongPlain, null))) {
      assertThatThrownBy(() -> mapper.writeValueAsString(value))
          .as(value.getClass().getSimpleName())
          .isInstanceOf(JsonProcessingException.class)
          .hasMessageContaining("cannot be written (at most 1000");
    }
    assertThatThrownBy(() -> mapper.getNodeFactory().numberNode(tooLong))
        .hasMessageContaining("Number out of range");

    java.math.BigInteger longest = java.math.BigInteger.TEN.pow(999); // 1,000 characters
    String written =
        mapper.writeValueAsString(new Counted(longest, new BigDecimal("1E+999"), null));
    Counted read = mapper.readValue(written, Counted.class);
    assertThat(read.count()).isEqualTo(longest);
    assertThat(new BigDecimal(read.any().toString()))
        .isEqualByComparingTo(new BigDecimal("1E+999"));
  }

  /**
   * Jackson reads names of at most 50,000 characters and strings of at most 20,000,000 by default,
   * and writes any: a commit with a longer one was stored and no process could load it.
   */
  @Test
  void names_and_strings_read_however_long_they_were_written() throws Exception {
    ObjectMapper mapper = ObjectMappers.create();
    Named named = new Named(java.util.Map.of("k".repeat(50_001), "v"), "x".repeat(20_000_001));

    Named read = mapper.readValue(mapper.writeValueAsBytes(named), Named.class);

    assertThat(read.tags()).containsOnlyKeys("k".repeat(50_001));
    assertThat(read.text()).hasSize(20_000_001);
    assertThat(mapper.readTree(mapper.writeValueAsBytes(named)).get("text").asText())
        .hasSize(20_000_001);
  }
}
