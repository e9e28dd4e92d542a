package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A review's findings on the bound of what cqrs's mappers write: an application's own serializer
 * and settings for numbers stay in charge of the output, a raised number limit writes what it
 * reads, and an integer's sign is not counted as the parser does not count it.
 */
class ObjectMappersApplicationTest {
  record Price(BigDecimal amount) {}

  record Shaped(@JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount) {}

  record Big(BigInteger n) {}

  /** An application's mapper writes money as JSON strings; configure() must keep its output. */
  @Test
  void an_applications_own_BigDecimal_serializer_is_kept() throws Exception {
    ObjectMapper app =
        new ObjectMapper()
            .registerModule(
                new SimpleModule("app-money")
                    .addSerializer(BigDecimal.class, ToStringSerializer.instance));
    assertThat(app.writeValueAsString(new Price(new BigDecimal("1.50"))))
        .isEqualTo("{\"amount\":\"1.50\"}");

    ObjectMapper cqrs = ObjectMappers.configure(app);

    assertThat(cqrs.writeValueAsString(new Price(new BigDecimal("1.50"))))
        .isEqualTo("{\"amount\":\"1.50\"}");
  }

  @Test
  void a_config_override_to_string_is_kept() throws Exception {
    ObjectMapper app = new ObjectMapper();
    app.configOverride(BigDecimal.class)
        .setFormat(JsonFormat.Value.forShape(JsonFormat.Shape.STRING));
    ObjectMapper cqrs = ObjectMappers.configure(app);
    assertThat(cqrs.writeValueAsString(new Price(new BigDecimal("1.50"))))
        .isEqualTo("{\"amount\":\"1.50\"}");
    assertThat(cqrs.writeValueAsString(new Shaped(new BigDecimal("1.50"))))
        .isEqualTo("{\"amount\":\"1.50\"}");
    assertThat(cqrs.writeValueAsString(Map.of(new BigDecimal("1.50"), 1)))
        .isEqualTo("{\"1.50\":1}");
  }

  /** An application that raised the number limit reads 2,000-digit integers: it must write them. */
  @Test
  void a_raised_number_limit_writes_what_it_reads() throws Exception {
    ObjectMapper app = new ObjectMapper();
    app.getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNumberLength(5_000).build());
    ObjectMapper cqrs = ObjectMappers.configure(app);
    BigInteger big = BigInteger.TEN.pow(2_000);
    String json = "{\"n\":" + big + "}";
    assertThat(cqrs.readValue(json, Big.class).n()).isEqualTo(big); // reads

    assertThat(cqrs.writeValueAsString(new Big(big))).isEqualTo(json); // must write
  }

  /** The parser bounds an integer's digits, not its sign. */
  @Test
  void a_negative_integer_of_1000_digits_reads_and_so_writes() throws Exception {
    ObjectMapper cqrs = ObjectMappers.create();
    BigInteger big = BigInteger.TEN.pow(999).negate(); // 1,000 digits, 1,001 characters
    String json = "{\"n\":" + big + "}";
    assertThat(cqrs.readValue(json, Big.class).n()).isEqualTo(big);

    assertThat(cqrs.writeValueAsString(new Big(big))).isEqualTo(json);
  }
}
