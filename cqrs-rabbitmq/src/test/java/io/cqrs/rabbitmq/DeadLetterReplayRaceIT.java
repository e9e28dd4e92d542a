package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.GetResponse;
import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * "A call never replays a message twice, even if it fails again meanwhile, and racing calls ...
 * each take other messages" (docs/rabbitmq.md, Replaying). An adversarial run broke it: a racing
 * call took letters ahead, so the first call, short of its limit, fetched on into the copies of its
 * own replays that had failed again and replayed one of them a second time.
 */
class DeadLetterReplayRaceIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  @BeforeEach
  void open() {
    namespace = RabbitTestBroker.get().newNamespace("replay-race");
  }

  @AfterEach
  void close() {
    namespace.close();
  }

  @Test
  void a_call_raced_by_another_replays_no_letter_twice() {
    RabbitEventBus bus =
        namespace.track(
            namespace.eventBusBuilder(serializer).retryDelays(Duration.ofMillis(50)).build());
    bus.subscribe(
        "race",
        1,
        event -> {
          throw new NonTransientCqrsException("still broken");
        });
    int letters = 501; // one more than a replay's batch of 500
    List<VersionedEvent> events = TestMessages.events(letters);
    bus.publish(events);
    Await.until(WAIT, () -> "dead letters", () -> bus.deadLetterCount("race") == letters);

    String queue = namespace.prefix() + ".events.race";
    SubscriptionTopology topology =
        new SubscriptionTopology(
            "race",
            queue,
            List.of(queue),
            List.of(),
            List.of(),
            false,
            namespace.prefix() + ".failures",
            queue,
            namespace.prefix() + ".failures");
    AtomicBoolean first = new AtomicBoolean(true);
    AtomicLong otherCall = new AtomicLong(-1);
    List<String> replayedIdsOfA = Collections.synchronizedList(new ArrayList<>());
    long replayedByA;
    BrokerConnection connection = namespace.brokerConnection("replayer", WAIT);
    try (connection;
        ConfirmingPublisher publisher =
            new ConfirmingPublisher(
                connection,
                1000,
                Duration.ofSeconds(30),
                RabbitBusBuilder.DEFAULT_MAX_MESSAGE_BYTES)) {
      DeadLetters deadLetters =
          new DeadLetters(
              connection,
              (copies, timeout) -> {
                copies.forEach(c -> replayedIdsOfA.add(c.properties().getMessageId()));
                List<Returned> returned = publisher.publishCopies(copies, timeout);
                if (first.compareAndSet(true, false)) {
                  // The confirms of call A's first batch of 500 are in (slowly): meanwhile a
                  // second operator's call B replays the one letter left ...
                  otherCall.set(bus.replayDeadLetters("race", 1));
                  // ... and the handler has failed again on A's copies: they are dead letters
                  // again, at the tail of the dead-letter queue.
                  Await.until(
                      WAIT, () -> "A's copies back", () -> bus.deadLetterCount("race") >= 1);
                }
                return returned;
              },
              Duration.ofSeconds(30));
      replayedByA = deadLetters.replay(topology, 10_000);
    }
    assertThat(replayedIdsOfA)
        .as(
            "message ids of the copies that ONE replayDeadLetters call published (returned "
                + replayedByA
                + "; the racing call replayed "
                + otherCall.get()
                + ")")
        .doesNotHaveDuplicates();
    // Let every copy fail again and settle in the dead-letter queue.
    Await.until(
        WAIT,
        () -> "all back: " + bus.deadLetterCount("race"),
        () -> bus.deadLetterCount("race") >= letters && queueEmpty(queue));
    Map<String, Integer> replays = new HashMap<>();
    namespace.withChannel(
        channel -> {
          GetResponse response;
          while ((response = channel.basicGet(bus.deadLetterQueue("race"), false)) != null) {
            Object n = response.getProps().getHeaders().get(CqrsHeaders.REPLAYED);
            replays.merge(response.getProps().getMessageId(), ((Number) n).intValue(), Math::max);
          }
          return null;
        });
    List<String> twice = new ArrayList<>();
    replays.forEach(
        (id, n) -> {
          if (n > 1) twice.add(id);
        });
    assertThat(twice)
        .as(
            "letters replayed more than once by one round of two racing calls (A replayed "
                + replayedByA
                + ", B replayed "
                + otherCall.get()
                + " of "
                + letters
                + " letters)")
        .isEmpty();
    assertThat(replayedByA + otherCall.get()).as("replays of A and B together").isEqualTo(letters);
  }

  private boolean queueEmpty(String queue) {
    return namespace.withChannel(channel -> channel.messageCount(queue)) == 0;
  }
}
