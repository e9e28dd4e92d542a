package io.cqrs.rabbitmq;

import static io.cqrs.rabbitmq.ConfirmTrackerTest.channelError;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.NonTransientCqrsException;
import java.time.Duration;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** What a failed publication throws: its type and its words, the same for both publishers. */
class PublishErrorsTest {
  private static final String BROKER = "rabbit:5672/";

  @Test
  void a_refusal_names_the_broker_and_its_reply_and_counts_what_was_not_confirmed() {
    assertThatThrownBy(() -> PublishErrors.failIfRefused(BROKER, channelError(), 2))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessage(
            "RabbitMQ at rabbit:5672/ closed the publishing channel: NOT_FOUND - no exchange 'x'"
                + " in vhost '/'; 2 message(s) not confirmed (those sent before the refused one"
                + " may have been delivered)");
  }

  @Test
  void a_refusal_with_nothing_left_to_send_and_a_loss_without_refusal_do_not_fail() {
    assertThatCode(() -> PublishErrors.failIfRefused(BROKER, channelError(), 0))
        .doesNotThrowAnyException();
    assertThatCode(() -> PublishErrors.failIfRefused(BROKER, null, 2)).doesNotThrowAnyException();
  }

  @Test
  void missing_confirms_are_the_broker_being_unavailable_with_what_its_connection_does() {
    Assertions.assertThat(
            PublishErrors.unavailable(
                BROKER,
                "connection 'bus/publish' has been down since 2026-12-03T09:00:00Z",
                Duration.ofSeconds(30)))
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessage(
            "RabbitMQ at rabbit:5672/ is unavailable: messages not confirmed within PT30S;"
                + " connection 'bus/publish' has been down since 2026-12-03T09:00:00Z. Some of them"
                + " may have been delivered: publishing them again is safe");
    Assertions.assertThat(PublishErrors.closed()).hasMessage("The publisher is closed");
  }
}
