package io.cqrs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InstantsTest {
  private static final long YEAR_0 = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
  private static final long YEAR_10000 = Instant.parse("+10000-01-01T00:00:00Z").getEpochSecond();

  @Test
  void formatting_writes_the_same_text_as_instant_to_string() {
    for (Instant instant : samples()) {
      assertThat(Instants.format(instant)).as("%s", instant).isEqualTo(instant.toString());
    }
  }

  @Test
  void parsing_reads_the_same_instant_as_instant_parse() {
    for (Instant instant : samples()) {
      String text = instant.toString();
      assertThat(Instants.parse(text)).as(text).isEqualTo(Instant.parse(text));
    }
    for (String text :
        List.of(
            "2024-01-01T00:00:00.5Z",
            "2024-01-01T00:00:00.1234Z",
            "2024-01-01T00:00:00.12345678Z",
            "2024-01-01t00:00:00z",
            "2024-01-01T01:00:00+01:00",
            "2016-12-31T23:59:60Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-02-29T12:00:00Z")) {
      assertThat(Instants.parse(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  void parsing_rejects_what_instant_parse_rejects() {
    for (String text :
        List.of(
            "",
            "yesterday",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:00.1234567890Z",
            "2024-01-01T00:00:0xZ",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00")) {
      assertThatThrownBy(() -> Instant.parse(text))
          .as(text)
          .isInstanceOf(DateTimeParseException.class);
      assertThatThrownBy(() -> Instants.parse(text))
          .as(text)
          .isInstanceOf(DateTimeParseException.class);
    }
  }

  private static List<Instant> samples() {
    List<Instant> samples =
        new ArrayList<>(
            List.of(
                Instant.EPOCH,
                Instant.MIN,
                Instant.MAX,
                Instant.ofEpochSecond(-1),
                Instant.ofEpochSecond(-1, 999_999_999),
                Instant.ofEpochSecond(YEAR_0),
                Instant.ofEpochSecond(YEAR_0 - 1),
                Instant.ofEpochSecond(YEAR_10000 - 1, 999_999_999),
                Instant.ofEpochSecond(YEAR_10000),
                Instant.parse("2024-02-29T23:59:59.123456789Z"),
                Instant.parse("2024-02-29T23:59:59.123456Z"),
                Instant.parse("2024-02-29T23:59:59.123Z"),
                Instant.parse("2024-02-29T23:59:59.100Z"),
                Instant.parse("1999-12-31T23:59:59.000000001Z"),
                Instant.now()));
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      long seconds =
          YEAR_0 - 1_000_000 + (long) (random.nextDouble() * (YEAR_10000 - YEAR_0 + 2e6));
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      samples.add(Instant.ofEpochSecond(seconds, nanos));
    }
    return samples;
  }
}
