package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import io.cqrs.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A dead-letter replay whose connection is lost and recovered while it waits for its copies'
 * confirms: the copies went out, but the ack of the fetched letters went to the recovered channel,
 * which drops an ack of the dead one's deliveries without a word, and the broker had put them back
 * in the dead-letter queue. The call counted them replayed (and went on to fetch and publish them
 * again when there were more). It now fails saying so.
 */
class DeadLetterReplayRecoveryIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("replay");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void a_replay_whose_connection_recovered_meanwhile_fails_instead_of_counting_letters_left() {
    namespace.requireAdmin();
    String queue = namespace.prefix() + ".work";
    String deadLetterQueue = Names.deadLetterQueue(queue);
    namespace.deleteQueueOnClose(queue);
    namespace.deleteQueueOnClose(deadLetterQueue);
    namespace.withChannel(
        channel -> {
          channel.queueDeclare(queue, true, false, false, null);
          channel.queueDeclare(deadLetterQueue, true, false, false, null);
          for (int i = 0; i < 3; i++) {
            channel.basicPublish(
                "",
                deadLetterQueue,
                new AMQP.BasicProperties.Builder().messageId("m-" + i).type("Test").build(),
                "{}".getBytes(StandardCharsets.UTF_8));
          }
          return null;
        });
    Await.until(
        WAIT,
        () -> "three dead letters",
        () -> namespace.withChannel(channel -> channel.messageCount(deadLetterQueue)) == 3);
    SubscriptionTopology topology =
        new SubscriptionTopology(
            "replay", queue, List.of(queue), List.of(), List.of(), false, "", queue, "");
    BrokerConnection connection = namespace.brokerConnection("publishing", WAIT);
    AtomicBoolean cut = new AtomicBoolean();
    try (connection;
        ConfirmingPublisher publisher =
            new ConfirmingPublisher(
                connection, 16, TIMEOUT, RabbitBusBuilder.DEFAULT_MAX_MESSAGE_BYTES)) {
      DeadLetters deadLetters =
          new DeadLetters(
              connection,
              (copies, timeout) -> {
                if (cut.compareAndSet(false, true)) {
                  // Lost while the letters are fetched and not yet acknowledged.
                  assertThat(namespace.forceCloseConnections()).isPositive();
                  Await.until(WAIT, () -> "the connection recovered", connection::isUsable);
                }
                return publisher.publishCopies(copies, timeout);
              },
              TIMEOUT);

      assertThatThrownBy(() -> deadLetters.replay(topology, 10))
          .isInstanceOf(BrokerUnavailableException.class)
          .hasMessageContaining("0 replayed; 3 more were published again");
    }
    long copies = namespace.withChannel(channel -> channel.messageCount(queue));
    assertThat(copies).as("the copies").isEqualTo(3);
    Await.until(
        WAIT,
        () -> "the letters back in the dead-letter queue",
        () -> namespace.withChannel(channel -> channel.messageCount(deadLetterQueue)) == 3);
  }
}
