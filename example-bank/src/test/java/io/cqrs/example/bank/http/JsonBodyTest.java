package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.example.bank.domain.Money;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * How a request body's amounts and text are read: what reaches a command is always two decimals,
 * and text without control or formatting characters.
 */
class JsonBodyTest {
  private static final ObjectMapper MAPPER = ApiJson.mapper();

  private static JsonBody body(String json) {
    return JsonBody.parse(MAPPER, json.getBytes(StandardCharsets.UTF_8), "amount");
  }

  /** An amount written as a JSON number and as a string. */
  private static String[] both(String amount) {
    return new String[] {"{\"amount\":" + amount + "}", "{\"amount\":\"" + amount + "\"}"};
  }

  private static void assertRefused(String json, String detail, boolean asBalance) {
    assertThatThrownBy(
            () -> {
              if (asBalance) {
                body(json).balance("amount", Money.ZERO);
              } else {
                body(json).amount("amount");
              }
            })
        .as(json)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo("amount");
            })
        .hasMessageContaining(detail);
  }

  @Test
  void amounts_come_out_with_two_decimals_however_they_were_written() {
    for (String written : new String[] {"5", "5.0", "5.000", "0.5E1", "500E-2", "5e0"}) {
      for (String json : both(written)) {
        BigDecimal amount = body(json).amount("amount");

        assertThat(amount).as(json).isEqualTo(new BigDecimal("5.00"));
        assertThat(amount.scale()).isEqualTo(2);
      }
    }
  }

  @Test
  void a_zero_balance_comes_out_as_zero_with_two_decimals_whatever_its_exponent() {
    for (String zero :
        new String[] {"0e-1500", "0e-2147483647", "0e2147483647", "-0e5", "-0", "0.000000"}) {
      for (String json : both(zero)) {
        BigDecimal balance = body(json).balance("amount", null);

        assertThat(balance).as(json).isEqualTo(Money.ZERO);
        assertThat(balance.toPlainString()).isEqualTo("0.00");
      }
    }
  }

  @Test
  void a_zero_amount_is_refused_as_not_positive_whatever_its_exponent() {
    for (String zero : new String[] {"0e-1500", "0e2147483647", "-0e5"}) {
      for (String json : both(zero)) {
        assertRefused(json, "must be positive", false);
      }
    }
  }

  @Test
  void exponents_near_the_int_limits_are_refused_naming_the_field() {
    for (String json : both("1e2147483647")) {
      assertRefused(json, "must not exceed", false);
      assertRefused(json, "must not exceed", true);
    }
    for (String json : both("1e-2147483647")) {
      assertRefused(json, "at most two decimals", false);
    }
    // Beyond an int: BigDecimal cannot hold it at all.
    assertRefused("{\"amount\":\"1e2147483648\"}", "must be a number", false);
    assertRefused("{\"amount\":\"1e-2147483649\"}", "must be a number", true);
  }

  @Test
  void formatting_characters_beyond_the_basic_plane_are_refused_like_those_within_it() {
    // U+200E (left-to-right mark), U+E0041 (tag latin capital letter A: invisible, a surrogate
    // pair), U+1D173 (musical symbol begin beam): each a formatting character.
    for (String hidden : new String[] {"\u200E", "\uDB40\uDC41", "\uD834\uDD73"}) {
      assertThatThrownBy(() -> JsonBody.checkedText("firstName", "Ann" + hidden))
          .as("U+%X", "Ann".concat(hidden).codePointAt(3))
          .isInstanceOfSatisfying(
              ApiException.class, e -> assertThat(e.field()).isEqualTo("firstName"))
          .hasMessageContaining("control or formatting characters");
    }
    // A pair that is a letter (U+1D400, mathematical bold capital A) or an emoji is text.
    assertThat(JsonBody.checkedText("firstName", "Ann\uD835\uDC00\uD83D\uDE00"))
        .isEqualTo("Ann\uD835\uDC00\uD83D\uDE00");
    for (String lone : new String[] {"\uD835", "\uDC00", "\uDC00\uD835"}) {
      assertThatThrownBy(() -> JsonBody.checkedText("firstName", "Ann" + lone))
          .hasMessageContaining("lone surrogate");
    }
  }
}
