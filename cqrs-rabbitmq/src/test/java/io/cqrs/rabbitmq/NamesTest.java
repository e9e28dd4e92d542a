package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class NamesTest {
  private final Names names = Names.of("shop");

  @Test
  void every_name_starts_with_the_prefix_and_says_what_it_is() {
    assertThat(names.eventExchange()).isEqualTo("shop.events");
    assertThat(names.commandExchange()).isEqualTo("shop.commands");
    assertThat(names.eventQueue("projection")).isEqualTo("shop.events.projection");
    assertThat(names.commandQueue("billing")).isEqualTo("shop.commands.billing");
    assertThat(Names.deadLetterQueue("shop.events.projection"))
        .isEqualTo("shop.events.projection.dlq");
    assertThat(Names.retryQueue("shop.commands.billing", Duration.ofSeconds(10)))
        .isEqualTo("shop.commands.billing.retry-10000ms");
    assertThat(Names.hashExchange("shop.events.ledger")).isEqualTo("shop.events.ledger.hash");
    assertThat(Names.partition("shop.events.ledger", 3)).isEqualTo("shop.events.ledger.p3");
  }

  @Test
  void a_name_must_be_neither_blank_nor_hold_whitespace_nor_be_too_long() {
    assertThatThrownBy(() -> Names.requireValid("subscription", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("subscription");
    assertThatThrownBy(() -> Names.requireValid("prefix", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("prefix must not be blank");
    assertThatThrownBy(() -> Names.requireValid("service", "a b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service must not contain whitespace");
    assertThatThrownBy(() -> Names.requireValid("service", "x".repeat(201)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service must be at most 200 bytes");
    assertThat(Names.requireValid("subscription", "read-model.v2:eu"))
        .isEqualTo("read-model.v2:eu");
  }
}
