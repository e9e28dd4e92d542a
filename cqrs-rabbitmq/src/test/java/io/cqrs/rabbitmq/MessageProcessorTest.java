package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Envelope;
import io.cqrs.rabbitmq.DeliveryHandler.Control;
import io.cqrs.rabbitmq.DeliveryHandler.Disposition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A failed message goes to a retry or dead-letter queue, unless its channel died meanwhile: the
 * broker delivers it again then, and a copy would be a second message beside that redelivery.
 */
class MessageProcessorTest {
  private static final Declaration EXCHANGE =
      Declaration.exchange("shop.events", BuiltinExchangeType.TOPIC);
  private static final Inbound DELIVERY =
      new Inbound(
          "shop.events.billing",
          new Envelope(7, false, "shop.events", "ItemAdded"),
          new AMQP.BasicProperties.Builder().type("ItemAdded").messageId("m-1").build(),
          new byte[0]);

  private final List<OutboundMessage> copies = new ArrayList<>();
  private final Listening control = new Listening();

  @Test
  void a_delivery_whose_channel_died_during_its_last_attempt_in_place_is_not_dead_lettered() {
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingInPlace(
            delivery -> delivery,
            failingAndThenLosingTheChannelOnAttempt(2),
            failures(ordered()),
            List.of(Duration.ofMillis(1)));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.REQUEUE);
    assertThat(control.attempts).isEqualTo(2);
    assertThat(copies).isEmpty();
  }

  @Test
  void a_delivery_whose_channel_died_during_its_attempt_gets_no_retry_copy() {
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingThroughBroker(
            delivery -> delivery, failingAndThenLosingTheChannelOnAttempt(1), failures(shared()));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.REQUEUE);
    assertThat(copies).isEmpty();
  }

  @Test
  void a_delivery_that_does_not_decode_after_its_channel_died_is_not_dead_lettered() {
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingThroughBroker(
            delivery -> {
              control.channelDied = true;
              throw new IllegalArgumentException("not JSON");
            },
            message -> {},
            failures(shared()));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.REQUEUE);
    assertThat(copies).isEmpty();
  }

  @Test
  void a_delivery_whose_channel_lives_is_dead_lettered_when_its_retries_in_place_run_out() {
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingInPlace(
            delivery -> delivery,
            failingAndThenLosingTheChannelOnAttempt(Integer.MAX_VALUE),
            failures(ordered()),
            List.of(Duration.ofMillis(1)));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.ACK);
    assertThat(control.attempts).isEqualTo(2);
    assertThat(copies)
        .singleElement()
        .satisfies(copy -> assertThat(copy.routingKey()).isEqualTo("shop.events.billing.dlq"));
  }

  @Test
  void an_ordered_message_whose_decoding_throws_an_error_is_retried_in_place() {
    AtomicInteger decodes = new AtomicInteger();
    AtomicInteger handled = new AtomicInteger();
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingInPlace(
            delivery -> {
              if (decodes.incrementAndGet() == 1) {
                throw new NoClassDefFoundError("Could not initialize class ItemAdded");
              }
              return delivery;
            },
            message -> handled.incrementAndGet(),
            failures(ordered()),
            List.of(Duration.ofMillis(1)));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.ACK);
    assertThat(decodes).hasValue(2);
    assertThat(handled).hasValue(1);
    assertThat(copies).isEmpty();
  }

  @Test
  void an_ordered_message_whose_decoding_keeps_failing_is_dead_lettered_after_its_retries() {
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingInPlace(
            delivery -> {
              control.attempts++;
              throw new NoClassDefFoundError("Could not initialize class ItemAdded");
            },
            message -> {},
            failures(ordered()),
            List.of(Duration.ofMillis(1), Duration.ofMillis(1)));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.ACK);
    assertThat(control.attempts).isEqualTo(3);
    assertThat(copies)
        .singleElement()
        .satisfies(
            copy -> {
              assertThat(copy.routingKey()).isEqualTo("shop.events.billing.dlq");
              assertThat(copy.headers())
                  .containsEntry(CqrsHeaders.REASON, CqrsHeaders.REASON_HANDLER_FAILED)
                  .containsEntry(CqrsHeaders.ATTEMPTS, 3);
            });
  }

  @Test
  void an_ordered_message_whose_dead_letter_copy_cannot_be_published_is_given_back_not_requeued() {
    AtomicInteger tries = new AtomicInteger();
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingInPlace(
            delivery -> delivery,
            message -> {
              throw new io.cqrs.NonTransientCqrsException("no handler");
            },
            refusing(ordered(), tries, Integer.MAX_VALUE),
            List.of(Duration.ofMillis(1), Duration.ofMillis(1)));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.GIVE_BACK);
    assertThat(tries).hasValue(3); // the first try and one after each delay
  }

  @Test
  void an_ordered_dead_letter_copy_refused_once_is_published_on_the_next_try() {
    AtomicInteger tries = new AtomicInteger();
    MessageProcessor<Inbound> processor =
        MessageProcessor.retryingInPlace(
            delivery -> delivery,
            message -> {
              throw new io.cqrs.NonTransientCqrsException("no handler");
            },
            refusing(ordered(), tries, 1),
            List.of(Duration.ofMillis(1)));

    assertThat(processor.handle(DELIVERY, control)).isEqualTo(Disposition.ACK);
    assertThat(tries).hasValue(2);
    assertThat(copies).singleElement();
  }

  /** A consumer that fails every attempt; on attempt {@code dies} the channel dies first. */
  private MessageProcessor.Consumer<Inbound> failingAndThenLosingTheChannelOnAttempt(int dies) {
    return message -> {
      if (++control.attempts == dies) {
        control.channelDied = true;
      }
      throw new IllegalStateException("attempt " + control.attempts + " fails");
    };
  }

  private FailureRouter failures(SubscriptionTopology topology) {
    return new FailureRouter(
        (messages, timeout) -> {
          copies.addAll(messages);
          return List.of();
        },
        Duration.ofSeconds(1),
        topology);
  }

  /** Failures whose publisher refuses the first {@code refusals} copies, as a broker away would. */
  private FailureRouter refusing(SubscriptionTopology topology, AtomicInteger tries, int refusals) {
    return new FailureRouter(
        (messages, timeout) -> {
          if (tries.incrementAndGet() <= refusals) {
            throw new BrokerUnavailableException("broker", "blocked by an alarm", null);
          }
          copies.addAll(messages);
          return List.of();
        },
        Duration.ofSeconds(1),
        topology);
  }

  private static SubscriptionTopology ordered() {
    return SubscriptionTopology.partitioned(
        "billing", "shop.events.billing", EXCHANGE, 1, QueueType.CLASSIC, "shop.failures");
  }

  private static SubscriptionTopology shared() {
    return SubscriptionTopology.workQueue(
        "billing",
        "shop.events.billing",
        EXCHANGE,
        List.of("#"),
        List.of(Duration.ofSeconds(1)),
        QueueType.CLASSIC,
        "shop.failures");
  }

  /** The listener's side, as a test sets it: a back-off ends at once, or when the channel died. */
  private static final class Listening implements Control {
    private boolean channelDied;
    private int attempts;

    @Override
    public void flushAcks() {}

    @Override
    public boolean awaitStop(Duration delay) {
      return channelDied;
    }

    @Override
    public boolean channelDied() {
      return channelDied;
    }
  }
}
