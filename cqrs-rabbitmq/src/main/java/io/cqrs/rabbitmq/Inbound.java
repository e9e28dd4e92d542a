package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import java.util.Map;

/**
 * One delivery, as a listener received it.
 *
 * @param queue the queue it came from
 * @param envelope delivery tag, exchange and routing key
 * @param properties its AMQP properties
 * @param body its body
 */
record Inbound(String queue, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {

  /** A header's value, or {@code null}. */
  Object header(String name) {
    Map<String, Object> headers = properties.getHeaders();
    return headers == null ? null : headers.get(name);
  }

  /** The message id and type, for logs. */
  String describe() {
    return properties.getType() + " " + properties.getMessageId() + " from " + queue;
  }
}
