package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import io.cqrs.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection the broker blocked (a memory or disk alarm) that dies before the broker unblocks it:
 * no unblock ever comes for the dead connection, and the block was kept across the recovery, so the
 * recovered connection never published again while health said it was up.
 */
class BrokerBlockIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(5);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("block");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void a_block_of_a_connection_that_died_does_not_outlive_its_recovery() {
    namespace.requireAdmin();
    String queue = namespace.prefix() + ".blocked";
    namespace.deleteQueueOnClose(queue);
    namespace.withChannel(channel -> channel.queueDeclare(queue, true, false, false, null));
    BrokerConnection connection = namespace.brokerConnection("publisher", WAIT);
    try (connection;
        ConfirmingPublisher publisher =
            new ConfirmingPublisher(
                connection, 16, PUBLISH_TIMEOUT, RabbitBusBuilder.DEFAULT_MAX_MESSAGE_BYTES)) {
      // What the client reports on the broker's connection.blocked (an alarm raised).
      connection.blocked("low on memory");
      assertThat(connection.isUsable()).isFalse();

      assertThat(namespace.forceCloseConnections()).isPositive();

      Await.until(WAIT, () -> "the recovered connection usable", connection::isUsable);
      assertThat(publisher.publish(List.of(message(queue)), PUBLISH_TIMEOUT)).isEmpty();
    }
    long queued = namespace.withChannel(channel -> channel.messageCount(queue));
    assertThat(queued).as("messages in " + queue).isEqualTo(1);
  }

  private static OutboundMessage message(String queue) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder().deliveryMode(2).type("Test").build();
    return new OutboundMessage(
        "", queue, "Test", properties, java.util.Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
  }
}
