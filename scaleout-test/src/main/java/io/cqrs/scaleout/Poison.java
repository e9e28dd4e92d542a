package io.cqrs.scaleout;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Malformed commands sent on purpose, straight to the command exchange: a body that is not JSON
 * under a real command type, which every worker must dead-letter without stopping.
 *
 * @param messageIds the ids of the poison messages sent
 */
record Poison(List<String> messageIds) {

  /** Sends {@code count} poison messages to the run's command exchange. */
  static Poison send(ConnectionFactory factory, String prefix, int count) throws IOException {
    List<String> ids = new ArrayList<>();
    try (Connection connection = factory.newConnection(prefix + "-poison");
        Channel channel = connection.createChannel()) {
      channel.confirmSelect();
      for (int i = 1; i <= count; i++) {
        String id = "poison-" + i;
        AMQP.BasicProperties properties =
            new AMQP.BasicProperties.Builder()
                .messageId(id)
                .correlationId(id)
                .type("CreditAccount")
                .contentType("application/json")
                .deliveryMode(2)
                .build();
        channel.basicPublish(
            prefix + ".commands",
            "CreditAccount",
            true,
            properties,
            ("{this is not a command " + i).getBytes(StandardCharsets.UTF_8));
        ids.add(id);
      }
      channel.waitForConfirmsOrDie(30_000);
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("The broker did not confirm the poison messages", e);
    }
    return new Poison(List.copyOf(ids));
  }
}
