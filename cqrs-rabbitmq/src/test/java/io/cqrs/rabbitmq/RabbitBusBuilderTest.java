package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Builder validation; nothing here connects. */
class RabbitBusBuilderTest {
  private final EventSerializer serializer = TestMessages.serializer();
  private final ConnectionFactory factory = new ConnectionFactory();

  @Test
  void required_arguments_are_named_when_missing() {
    assertThatThrownBy(() -> RabbitEventBus.builder((ConnectionFactory) null, serializer))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connectionFactory");
    assertThatThrownBy(() -> RabbitCommandBus.builder(factory, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("serializer");
    assertThatThrownBy(() -> RabbitEventBus.builder((String) null, serializer))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("amqpUri");
  }

  @Test
  void invalid_settings_are_rejected_naming_the_setting() {
    RabbitEventBus.Builder builder = RabbitEventBus.builder(factory, serializer);

    assertThatThrownBy(() -> builder.prefix("")).hasMessageContaining("prefix");
    assertThatThrownBy(() -> builder.exchange("a b")).hasMessageContaining("exchange");
    assertThatThrownBy(() -> builder.connectionName(" ")).hasMessageContaining("connectionName");
    assertThatThrownBy(() -> builder.confirmWindow(0)).hasMessageContaining("confirmWindow");
    assertThatThrownBy(() -> builder.prefetch(0)).hasMessageContaining("prefetch");
    assertThatThrownBy(() -> builder.maxMessageBytes(0)).hasMessageContaining("maxMessageBytes");
    assertThatThrownBy(() -> builder.maxMessageBytes(RabbitBusBuilder.MAX_MESSAGE_BYTES + 1))
        .hasMessageContaining("maxMessageBytes must be from 1 to 67108864");
    assertThatThrownBy(() -> builder.partitions(0)).hasMessageContaining("partitions");
    assertThatThrownBy(() -> builder.publishTimeout(Duration.ZERO))
        .hasMessageContaining("publishTimeout");
    // Waited for in nanoseconds at every publish, where a "never" would overflow.
    assertThatThrownBy(() -> builder.publishTimeout(ChronoUnit.FOREVER.getDuration()))
        .hasMessageContaining("publishTimeout must be at most 365 days");
    assertThatThrownBy(() -> builder.unhealthyAfter(ChronoUnit.FOREVER.getDuration()))
        .hasMessageContaining("unhealthyAfter must be at most 365 days");
    assertThatThrownBy(() -> builder.retryDelays(ChronoUnit.FOREVER.getDuration()))
        .hasMessageContaining("retryDelays[] must be at most 365 days");
    assertThatThrownBy(() -> builder.recoveryInterval(Duration.ofSeconds(-1)))
        .hasMessageContaining("recoveryInterval");
    assertThatThrownBy(() -> builder.retryDelays(Duration.ofSeconds(1), null))
        .hasMessageContaining("retryDelays");
    assertThatThrownBy(() -> builder.orderedSubscriptions("ok", "not ok"))
        .hasMessageContaining("orderedSubscriptions");
    assertThatThrownBy(() -> builder.completionExecutor(null))
        .hasMessageContaining("completionExecutor");
  }

  @Test
  void ordered_retry_delays_that_add_up_to_the_consumer_timeout_are_refused_before_connecting() {
    RabbitEventBus.Builder builder =
        RabbitEventBus.builder(factory, serializer)
            .orderedSubscriptions("ledger")
            .retryDelays(Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofMinutes(10));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retryDelays add up to PT30M")
        .hasMessageContaining("consumerTimeout PT30M")
        .hasMessageContaining("[ledger]")
        .hasMessageContaining("consumer_timeout");
    assertThatThrownBy(
            () ->
                builder.consumerTimeout(Duration.ofSeconds(5)).retryDelays().consumerTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("consumerTimeout");
    assertThatThrownBy(() -> builder.consumerTimeout(Duration.ZERO))
        .hasMessageContaining("consumerTimeout must be positive");
  }

  @Test
  void ordered_retry_delays_below_the_consumer_timeout_pass_the_check() {
    RabbitEventBus.Builder builder =
        RabbitEventBus.builder(factory, serializer)
            .orderedSubscriptions("ledger")
            .retryDelays(Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofMinutes(10))
            .consumerTimeout(Duration.ofMinutes(31));

    builder.requireRetriesInPlaceWithinConsumerTimeout("[ledger]"); // does not throw
    assertThatThrownBy(
            () ->
                builder
                    .consumerTimeout(Duration.ofMinutes(1))
                    .retryDelays(Duration.ofSeconds(30), Duration.ofSeconds(30))
                    .requireRetriesInPlaceWithinConsumerTimeout("[ledger]"))
        .hasMessageContaining("retryDelays add up to PT1M");
  }

  @Test
  void settings_default_to_production_values_and_take_the_callers_choices() {
    Executor completions = Executors.newSingleThreadExecutor();
    Settings defaults = RabbitCommandBus.builder(factory, serializer).settings(1);
    Settings chosen =
        RabbitEventBus.builder(factory, serializer)
            .prefix("shop")
            .exchange("shop.all-events")
            .confirmWindow(64)
            .prefetch(10)
            .retryDelays()
            .completionExecutor(completions)
            .declareTopology(false)
            .settings(4);

    assertThat(defaults.names()).isEqualTo(Names.of("cqrs"));
    assertThat(defaults.connectionName()).isEqualTo("cqrs-commands");
    assertThat(defaults.publishTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.maxAttempts()).isEqualTo(4);
    assertThat(defaults.factory().isAutomaticRecoveryEnabled()).isTrue();
    assertThat(defaults.completions()).as("null: a pool of the bus's own").isNull();
    assertThat(defaults.declareTopology()).isTrue();
    assertThat(chosen.connectionName()).as("named after the prefix").isEqualTo("shop-events");
    assertThat(
            RabbitCommandBus.builder(factory, serializer)
                .prefix("shop")
                .connectionName("till-7")
                .settings(1)
                .connectionName())
        .isEqualTo("till-7");
    assertThat(chosen.names().eventExchange()).isEqualTo("shop.all-events");
    assertThat(chosen.names().eventQueue("p")).isEqualTo("shop.events.p");
    assertThat(chosen.confirmWindow()).isEqualTo(64);
    assertThat(chosen.ackBatch()).isEqualTo(5);
    assertThat(chosen.maxAttempts()).isEqualTo(1);
    assertThat(chosen.partitions()).isEqualTo(4);
    assertThat(chosen.completions()).isSameAs(completions);
    assertThat(chosen.declareTopology()).isFalse();
    assertThat(chosen.names().failureExchange())
        .as("under the prefix, whatever the event exchange is called")
        .isEqualTo("shop.failures");
  }
}
