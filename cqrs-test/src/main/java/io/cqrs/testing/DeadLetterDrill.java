package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cqrs.spi.DeadLetterQueues;
import io.cqrs.spi.QueuedDeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dead-letter tests of the bus contracts, for buses that implement {@link DeadLetterQueues}: a
 * consumer that fails every message until the test cures it, so that its messages are
 * dead-lettered, looked at and replayed.
 *
 * @param <T> the message type (events or commands)
 */
final class DeadLetterDrill<T> {
  private static final String FAILURE = "poison until the test cures the consumer";

  private final DeadLetterQueues queues;
  private final String name;
  private final Received<T> received;
  private final AtomicBoolean cured = new AtomicBoolean();

  /** Skips the test unless {@code bus} keeps dead-letter queues. */
  DeadLetterDrill(Object bus, String name, Received<T> received) {
    assumeTrue(bus instanceof DeadLetterQueues, "the bus keeps no dead-letter queues");
    this.queues = (DeadLetterQueues) bus;
    this.name = name;
    this.received = received;
  }

  /** The consumer: fails until {@link #cure()}, then records what it gets. */
  void handle(T message) {
    if (!cured.get()) {
      throw new IllegalStateException(FAILURE);
    }
    received.record(message);
  }

  void cure() {
    cured.set(true);
  }

  /** Waits until {@code count} messages wait in the dead-letter queue. */
  void awaitDeadLetters(long count) {
    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> count + " dead letters of '" + name + "', found " + queues.deadLetterCount(name),
        () -> queues.deadLetterCount(name) == count);
  }

  /**
   * Once {@code dead} are dead-lettered: a look shows them with why, twice in the same order, takes
   * none; after the cure a replay delivers each of them once, and then none is left.
   *
   * @param publishMarker publishes one more message after the replay, and returns it
   */
  void looksThenReplays(List<T> dead, List<String> deadIds, String type, Publisher<T> publishMarker)
      throws Exception {
    awaitDeadLetters(dead.size());

    List<QueuedDeadLetter> shown = queues.peekDeadLetters(name, 10);
    assertThat(shown).extracting(QueuedDeadLetter::messageId).hasSameElementsAs(deadIds);
    assertThat(shown)
        .allSatisfy(
            letter -> {
              assertThat(letter.type()).isEqualTo(type);
              assertThat(letter.reason()).isEqualTo(QueuedDeadLetter.HANDLER_FAILED);
              assertThat(letter.failure())
                  .contains(IllegalStateException.class.getName())
                  .contains(FAILURE);
              assertThat(letter.attempts()).isPositive();
            });
    assertThat(queues.peekDeadLetters(name, 10)).isEqualTo(shown);
    assertThat(queues.peekDeadLetters(name, 2)).isEqualTo(shown.subList(0, 2));
    assertThat(queues.peekDeadLetters(name, 0)).isEmpty();
    assertThat(queues.deadLetterCount(name)).isEqualTo(dead.size());
    assertThat(received.count()).isZero();

    cure();
    assertThat(queues.replayDeadLetters(name, 10)).isEqualTo(dead.size());

    received.awaitIds(dead);
    assertReceivedOnce(deadIds, publishMarker);
    assertThat(queues.deadLetterCount(name)).isZero();
    assertThat(queues.peekDeadLetters(name, 10)).isEmpty();
  }

  /**
   * Once {@code dead} are dead-lettered and the consumer is cured, two replays started together
   * replay each dead letter once between them.
   */
  void racingReplaysTakeEachOnce(List<T> dead, List<String> deadIds, Publisher<T> publishMarker)
      throws Exception {
    awaitDeadLetters(dead.size());
    cure();
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Long>> replays = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      replays.add(
          OwnThread.supplyAsync(
              () -> {
                awaitQuietly(start);
                return queues.replayDeadLetters(name, dead.size());
              }));
    }
    start.countDown();
    long replayed = 0;
    for (CompletableFuture<Long> replay : replays) {
      replayed += replay.get(Await.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    assertThat(replayed).isEqualTo(dead.size());
    received.awaitIds(dead);
    assertReceivedOnce(deadIds, publishMarker);
    assertThat(queues.deadLetterCount(name)).isZero();
  }

  /**
   * Once {@code dead} wait in this queue and {@code otherDead} in {@code other}'s, and both
   * consumers are cured: a replay of at most one sends back only the oldest of this queue, the one
   * a look shows first, and leaves the rest of it, and every dead letter of the other queue, where
   * they were.
   */
  void replaysOnlyTheOldestOfItsOwnQueue(
      int dead, DeadLetterDrill<T> other, int otherDead, Publisher<T> publishMarker)
      throws Exception {
    awaitDeadLetters(dead);
    other.awaitDeadLetters(otherDead);
    List<QueuedDeadLetter> shown = queues.peekDeadLetters(name, 10);
    List<QueuedDeadLetter> otherShown = queues.peekDeadLetters(other.name, 10);
    assertThat(shown).hasSize(dead);
    assertThat(otherShown).hasSize(otherDead);
    cure();
    other.cure();

    assertThat(queues.replayDeadLetters(name, 0)).isZero();
    assertThat(queues.replayDeadLetters(name, 1)).isOne();

    String oldest = shown.get(0).messageId();
    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> "the replayed " + oldest + "; received " + received.ids(),
        () -> received.ids().contains(oldest));
    T marker = publishMarker.publish();
    received.awaitIds(List.of(marker));
    assertThat(received.ids())
        .as("what this queue's consumer got after a replay of one")
        .containsExactly(oldest, received.idOf(marker));
    assertThat(queues.deadLetterCount(name)).isEqualTo(dead - 1L);
    assertThat(queues.peekDeadLetters(name, 10)).isEqualTo(shown.subList(1, dead));
    assertThat(queues.deadLetterCount(other.name)).isEqualTo(otherDead);
    assertThat(queues.peekDeadLetters(other.name, 10)).isEqualTo(otherShown);
    assertThat(other.received.ids())
        .as("the other queue's dead letters stay where they are")
        .doesNotContainAnyElementsOf(otherShown.stream().map(QueuedDeadLetter::messageId).toList());
  }

  /**
   * Once a consumer that throws a non-transient framework failure has had {@code message}
   * dead-lettered: it was tried once, and a look says why.
   */
  void aNonTransientFailureIsDeadLetteredAtOnce(AtomicInteger attempts, String failureType) {
    awaitDeadLetters(1);

    assertThat(attempts).as("attempts: a retry cannot cure a non-transient failure").hasValue(1);
    assertThat(queues.peekDeadLetters(name, 1))
        .singleElement()
        .satisfies(
            letter -> {
              assertThat(letter.reason()).isEqualTo(QueuedDeadLetter.NON_TRANSIENT);
              assertThat(letter.attempts()).isOne();
              assertThat(letter.failure()).contains(failureType);
            });
  }

  /**
   * A message published after the replay arrives after the replayed ones on a service or
   * subscription with one listener: once it is in, each replayed one must have come exactly once.
   */
  private void assertReceivedOnce(List<String> ids, Publisher<T> publishMarker) throws Exception {
    T marker = publishMarker.publish();
    received.awaitIds(List.of(marker));
    List<String> all = received.ids();
    ids.forEach(
        id ->
            assertThat(all.stream().filter(id::equals).count()).as("deliveries of " + id).isOne());
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Publishes one message on the bus under test and returns it. */
  @FunctionalInterface
  interface Publisher<T> {
    T publish() throws Exception;
  }
}
