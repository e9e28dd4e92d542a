package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.AMQImpl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The confirm bookkeeping of one channel: acks, nacks and returns in any order settle each message
 * exactly once, and a lost channel settles the rest as lost.
 */
class ConfirmTrackerTest {
  private static final int WINDOW = 10;

  private final Permits window =
      new Permits(
          WINDOW, "rabbit:5672/", () -> new BrokerUnavailableException("rabbit:5672/", "x", null));
  private final ConfirmTracker tracker = new ConfirmTracker();
  private final AtomicInteger roundsEnded = new AtomicInteger();
  private long nextSeq = 1;

  @Test
  void acks_out_of_order_settle_each_message_and_end_the_round_at_the_last_one() {
    PublishRound round = sent(message("a"), message("b"), message("c"));

    tracker.acked(2, false);
    tracker.acked(3, false);
    assertThat(round.isSettled()).isFalse();
    tracker.acked(1, false);

    assertThat(round.isSettled()).isTrue();
    assertThat(roundsEnded).hasValue(1);
    assertThat(round.collect(new ArrayList<>())).isEmpty();
    assertThat(tracker.unconfirmed()).isZero();
    assertThat(window.available()).isEqualTo(WINDOW);
  }

  @Test
  void a_multiple_ack_settles_every_message_up_to_its_tag_and_none_after() {
    PublishRound round = sent(message("a"), message("b"), message("c"), message("d"));

    tracker.acked(3, true);

    assertThat(tracker.unconfirmed()).isEqualTo(1);
    assertThat(window.available()).isEqualTo(WINDOW - 1);
    assertThat(round.isSettled()).isFalse();
    tracker.acked(4, true);
    assertThat(round.isSettled()).isTrue();
    assertThat(roundsEnded).hasValue(1);
  }

  @Test
  void nacked_messages_are_sent_again_in_their_order_and_the_others_not() {
    OutboundMessage b = message("b");
    OutboundMessage d = message("d");
    PublishRound round = sent(message("a"), b, message("c"), d);

    tracker.nacked(2, false);
    tracker.acked(3, true); // 1 and 3: 2 is settled already
    tracker.nacked(4, true);

    assertThat(round.isSettled()).isTrue();
    assertThat(round.collect(new ArrayList<>())).containsExactly(b, d);
    assertThat(window.available()).isEqualTo(WINDOW);
  }

  @Test
  void a_return_before_the_ack_makes_the_message_returned_rather_than_sent_again() {
    OutboundMessage a = message("a");
    PublishRound round = sent(a, message("b"));

    tracker.returned(returnOf(1));
    tracker.acked(2, true);

    List<Returned> returned = new ArrayList<>();
    assertThat(round.collect(returned)).isEmpty();
    assertThat(returned).containsExactly(new Returned(a, 312, "NO_ROUTE"));
  }

  @Test
  void a_nack_after_a_return_means_the_message_is_lost() {
    OutboundMessage a = message("a");
    PublishRound round = sent(a);

    tracker.returned(returnOf(1));
    tracker.nacked(1, false);

    List<Returned> returned = new ArrayList<>();
    assertThat(round.collect(returned)).containsExactly(a);
    assertThat(returned).isEmpty();
  }

  @Test
  void a_return_without_a_known_sequence_number_changes_nothing() {
    PublishRound round = sent(message("a"));

    tracker.returned(
        new Return(312, "NO_ROUTE", "x", "k", new AMQP.BasicProperties(), new byte[0]));
    tracker.returned(returnOf(99));
    tracker.acked(1, false);

    List<Returned> returned = new ArrayList<>();
    assertThat(round.collect(returned)).isEmpty();
    assertThat(returned).isEmpty();
  }

  @Test
  void a_lost_channel_settles_every_unconfirmed_message_as_lost_and_late_acks_change_nothing() {
    OutboundMessage b = message("b");
    OutboundMessage c = message("c");
    PublishRound round = sent(message("a"), b, c);
    tracker.acked(1, false);

    tracker.lost(new ShutdownSignalException(true, false, null, null));
    tracker.acked(3, true);
    tracker.nacked(3, true);

    assertThat(round.isSettled()).isTrue();
    assertThat(roundsEnded).hasValue(1);
    assertThat(round.collect(new ArrayList<>())).containsExactly(b, c);
    assertThat(round.refusal()).isNull();
    assertThat(window.available()).isEqualTo(WINDOW);
  }

  @Test
  void a_channel_the_broker_closed_over_a_message_is_a_refusal_that_the_round_reports() {
    PublishRound round = sent(message("a"));
    ShutdownSignalException channelError = channelError();

    tracker.lost(channelError);
    tracker.lost(new ShutdownSignalException(false, true, null, null));

    assertThat(tracker.refusal()).isSameAs(channelError);
    round.collect(new ArrayList<>());
    assertThat(round.refusal()).isSameAs(channelError);
  }

  @Test
  void neither_a_lost_connection_nor_the_application_closing_the_channel_is_a_refusal() {
    tracker.lost(new ShutdownSignalException(true, false, null, null));
    tracker.lost(new ShutdownSignalException(false, true, null, null));
    tracker.lost(null);

    assertThat(tracker.refusal()).isNull();
  }

  @Test
  void a_loss_between_tracking_a_message_and_publishing_it_is_seen_afterwards() {
    PublishRound round = new CountingRound(List.of(message("a")));
    PendingMessage pending = new PendingMessage(round, message("a"));

    Object generation = tracker.add(1, pending);
    assertThat(tracker.lostSince(generation)).isFalse();
    tracker.lost(null);

    assertThat(tracker.lostSince(generation)).isTrue();
    assertThat(pending.sentOn).isSameAs(tracker);
  }

  /**
   * The broker closed the shared channel over one publication's message (an exchange that does not
   * exist): the other publications' messages lost with it failed too, as non-transient. Only the
   * round whose message the refusal names reports it now; the others send theirs again.
   */
  @Test
  void a_refusal_is_reported_only_by_the_round_whose_message_it_names() {
    OutboundMessage bad =
        new OutboundMessage("x", "k", "Type", new AMQP.BasicProperties(), null, new byte[] {1});
    OutboundMessage good =
        new OutboundMessage(
            "events", "k", "Type", new AMQP.BasicProperties(), null, new byte[] {1});
    PublishRound badRound = sent(bad);
    PublishRound goodRound = sent(good);

    tracker.lost(channelError()); // "no exchange 'x'"

    assertThat(badRound.collect(new ArrayList<>())).containsExactly(bad);
    assertThat(badRound.refusal()).isNotNull();
    assertThat(goodRound.collect(new ArrayList<>())).containsExactly(good);
    assertThat(goodRound.refusal()).as("sent again, not failed").isNull();
  }

  /** A body the broker refuses as too large is a message the bus can never carry. */
  @Test
  void a_body_the_broker_refuses_as_too_large_is_unpublishable_and_implicates_large_bodies_only() {
    ShutdownSignalException tooLarge =
        new ShutdownSignalException(
            false,
            false,
            new AMQImpl.Channel.Close(
                406,
                "PRECONDITION_FAILED - message size 20 is larger than configured max size 10",
                60,
                40),
            null);
    OutboundMessage large =
        new OutboundMessage("e", "k", "Type", new AMQP.BasicProperties(), null, new byte[20]);
    OutboundMessage small =
        new OutboundMessage("e", "k", "Type", new AMQP.BasicProperties(), null, new byte[5]);

    assertThat(Refusals.implicates(tooLarge, large)).isTrue();
    assertThat(Refusals.implicates(tooLarge, small)).isFalse();
    // At the broker's own maximum its words lose "configured".
    ShutdownSignalException overMaximum =
        new ShutdownSignalException(
            false,
            false,
            new AMQImpl.Channel.Close(
                406, "PRECONDITION_FAILED - message size 20 is larger than max size 10", 60, 40),
            null);
    assertThat(Refusals.implicates(overMaximum, small)).isFalse();
    assertThat(Refusals.tooLarge(overMaximum)).isTrue();
    // The broker names the default exchange 'amq.default'.
    ShutdownSignalException defaultRefused =
        new ShutdownSignalException(
            false,
            false,
            new AMQImpl.Channel.Close(
                403,
                "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'u'",
                60,
                40),
            null);
    OutboundMessage toDefault =
        new OutboundMessage("", "q", "Type", new AMQP.BasicProperties(), null, new byte[] {1});
    assertThat(Refusals.implicates(defaultRefused, toDefault)).isTrue();
    assertThat(Refusals.implicates(defaultRefused, large)).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PublishErrors.failIfRefused("b", tooLarge, 1))
        .isInstanceOf(io.cqrs.UnpublishableMessageException.class)
        .hasMessageContaining("larger than configured max size");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PublishErrors.failIfRefused("b", channelError(), 1))
        .isInstanceOf(io.cqrs.NonTransientCqrsException.class)
        .hasMessageContaining("no exchange 'x'");
  }

  /** Sends the messages in one round, each tracked under the next sequence number. */
  private PublishRound sent(OutboundMessage... messages) {
    PublishRound round = new CountingRound(List.of(messages));
    round.send(
        System.nanoTime(),
        (pending, deadline) -> {
          tracker.add(nextSeq++, pending);
          return true;
        });
    return round;
  }

  static ShutdownSignalException channelError() {
    return new ShutdownSignalException(
        false,
        false,
        new AMQImpl.Channel.Close(404, "NOT_FOUND - no exchange 'x' in vhost '/'", 60, 40),
        null);
  }

  private static Return returnOf(long seq) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder().headers(Map.of(CqrsHeaders.PUBLISH_SEQ, seq)).build();
    return new Return(312, "NO_ROUTE", "x", "k", properties, new byte[0]);
  }

  static OutboundMessage message(String routingKey) {
    return new OutboundMessage(
        "x", routingKey, "Type", new AMQP.BasicProperties(), null, new byte[] {1});
  }

  private final class CountingRound extends PublishRound {
    CountingRound(List<OutboundMessage> messages) {
      super(messages, window);
    }

    @Override
    void allSettled() {
      roundsEnded.incrementAndGet();
    }
  }
}
