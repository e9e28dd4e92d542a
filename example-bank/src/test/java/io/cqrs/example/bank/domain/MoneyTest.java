package io.cqrs.example.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class MoneyTest {

  @Test
  void amounts_are_normalised_to_two_decimals_so_equal_amounts_are_equal() {
    assertThat(Money.amount(new BigDecimal("12.5"))).isEqualTo(new BigDecimal("12.50"));
    assertThat(Money.amount(new BigDecimal("12.500"))).isEqualTo(new BigDecimal("12.50"));
    assertThat(Money.amount(new BigDecimal("1E+2"))).isEqualTo(new BigDecimal("100.00"));
    assertThat(Money.balance(BigDecimal.ZERO)).isEqualTo(Money.ZERO);
  }

  @Test
  void an_amount_with_more_than_two_decimals_is_refused_rather_than_rounded() {
    assertThatThrownBy(() -> Money.amount(new BigDecimal("0.005")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most two decimals");
  }

  @Test
  void an_amount_must_be_positive_and_a_balance_not_negative() {
    assertThatThrownBy(() -> Money.amount(BigDecimal.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> Money.amount(new BigDecimal("-1.00")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Money.balance(new BigDecimal("-0.01")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
  }

  @Test
  void huge_values_are_refused_before_they_are_expanded() {
    assertThatThrownBy(() -> Money.amount(new BigDecimal("1E+999999999")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not exceed");
    assertThatThrownBy(() -> Money.amount(Money.MAX.add(new BigDecimal("0.01"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Money.amount(Money.MAX)).isEqualTo(Money.MAX);
  }

  @Test
  void exponents_near_the_int_limits_are_judged_without_overflow() {
    // precision - scale overflows an int here: the check must still see 2^31 digits.
    assertThatThrownBy(() -> Money.amount(new BigDecimal("1E+2147483647")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not exceed");
    assertThatThrownBy(() -> Money.balance(new BigDecimal("9E+2147483647")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not exceed");
    assertThatThrownBy(() -> Money.amount(new BigDecimal("1E-2147483647")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most two decimals");
  }

  @Test
  void a_zero_is_zero_with_two_decimals_whatever_its_sign_and_exponent() {
    for (String zero : new String[] {"0E-1500", "0E-2147483647", "0E+2147483647", "-0E+5"}) {
      assertThat(Money.balance(new BigDecimal(zero))).as(zero).isEqualTo(Money.ZERO);
      assertThat(Money.balance(new BigDecimal(zero)).toPlainString()).isEqualTo("0.00");
    }
  }

  @Test
  void a_missing_amount_is_named() {
    assertThatThrownBy(() -> Money.amount(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("amount");
  }
}
