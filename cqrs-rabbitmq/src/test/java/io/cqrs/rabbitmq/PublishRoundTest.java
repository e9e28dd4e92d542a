package io.cqrs.rabbitmq;

import static io.cqrs.rabbitmq.ConfirmTrackerTest.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One round of a publication: it ends once, after its sender is done and every message it sent is
 * settled; the window bounds it; a waiting caller wakes when it ends or at its deadline.
 */
class PublishRoundTest {
  private static final long LONG_DEADLINE = TimeUnit.SECONDS.toNanos(30);

  private final Permits window = new Permits(3, "rabbit:5672/", PublishRoundTest::unavailable);
  private final ConfirmTracker tracker = new ConfirmTracker();
  private final AtomicInteger transmitted = new AtomicInteger();

  @Test
  void messages_confirmed_while_later_ones_are_sent_do_not_end_the_round_early() {
    List<Integer> transmittedWhenEnded = new ArrayList<>();
    PublishRound round =
        new PublishRound(List.of(message("a"), message("b"), message("c")), window) {
          @Override
          void allSettled() {
            transmittedWhenEnded.add(transmitted.get());
          }
        };

    round.send(
        deadline(),
        (pending, deadline) -> {
          long seq = transmitted.incrementAndGet();
          tracker.add(seq, pending);
          tracker.acked(seq, false); // confirmed before the next is sent
          return true;
        });

    assertThat(transmittedWhenEnded).containsExactly(3);
    assertThat(window.available()).isEqualTo(3);
  }

  @Test
  void a_message_not_handed_over_stops_the_round_and_it_and_the_rest_are_sent_again() {
    OutboundMessage b = message("b");
    OutboundMessage c = message("c");
    WaitingRound round = new WaitingRound(List.of(message("a"), b, c), window);

    round.send(
        deadline(),
        (pending, deadline) -> {
          if (transmitted.incrementAndGet() == 2) {
            pending.settle(PendingMessage.Outcome.LOST); // as PublishChannel does
            return false;
          }
          tracker.add(transmitted.get(), pending);
          return true;
        });
    tracker.acked(1, false);

    assertThat(transmitted).hasValue(2);
    assertThat(round.isSettled()).isTrue();
    assertThat(round.collect(new ArrayList<>())).containsExactly(b, c);
    assertThat(window.available()).isEqualTo(3);
  }

  @Test
  void a_full_window_fails_the_sender_at_its_deadline_as_the_broker_not_confirming() {
    Permits one = new Permits(1, "rabbit:5672/", PublishRoundTest::unavailable);
    WaitingRound round = new WaitingRound(List.of(message("a"), message("b")), one);

    assertThatThrownBy(
            () ->
                round.send(
                    System.nanoTime(),
                    (pending, deadline) -> {
                      tracker.add(transmitted.incrementAndGet(), pending);
                      return true;
                    }))
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageStartingWith(
            "RabbitMQ at rabbit:5672/ is unavailable: messages not confirmed within PT30S;"
                + " connection 'bus/publish' has been down");
    assertThat(transmitted).hasValue(1);

    tracker.acked(1, false);
    assertThat(one.available()).isEqualTo(1); // the message sent still gives its permit back
  }

  @Test
  void a_waiting_caller_gives_up_at_its_deadline_while_a_message_is_unconfirmed() throws Exception {
    WaitingRound round = sentAndWaiting(message("a"));

    assertThat(round.await(System.nanoTime())).isFalse();
  }

  @Test
  void a_waiting_caller_wakes_when_another_thread_confirms_its_last_message() throws Exception {
    WaitingRound round = sentAndWaiting(message("a"), message("b"));
    CountDownLatch waiting = new CountDownLatch(1);
    Thread confirmer =
        new Thread(
            () -> {
              try {
                waiting.await();
              } catch (InterruptedException e) {
                return;
              }
              tracker.acked(1, false);
              tracker.acked(2, false);
            });
    confirmer.start();

    waiting.countDown();
    boolean settled = round.await(deadline());

    confirmer.join();
    assertThat(settled).isTrue();
    assertThat(round.collect(new ArrayList<>())).isEmpty();
  }

  @Test
  void an_interrupted_caller_stops_waiting() {
    WaitingRound round = sentAndWaiting(message("a"));

    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> round.await(deadline())).isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isFalse();
  }

  private WaitingRound sentAndWaiting(OutboundMessage... messages) {
    WaitingRound round = new WaitingRound(List.of(messages), window);
    round.send(
        deadline(),
        (pending, deadline) -> {
          tracker.add(transmitted.incrementAndGet(), pending);
          return true;
        });
    return round;
  }

  private static long deadline() {
    return System.nanoTime() + LONG_DEADLINE;
  }

  private static BrokerUnavailableException unavailable() {
    return PublishErrors.unavailable(
        "rabbit:5672/",
        "connection 'bus/publish' has been down since then",
        Duration.ofSeconds(30));
  }
}
