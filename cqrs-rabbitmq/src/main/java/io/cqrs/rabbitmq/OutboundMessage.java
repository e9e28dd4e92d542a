package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import java.util.HashMap;
import java.util.Map;

/**
 * A serialized message ready to publish.
 *
 * @param exchange where it goes
 * @param routingKey how the exchange routes it
 * @param messageType the logical type, for error messages
 * @param properties its AMQP properties
 * @param body its body
 */
record OutboundMessage(
    String exchange,
    String routingKey,
    String messageType,
    AMQP.BasicProperties properties,
    byte[] body) {

  /** The properties with the publisher's sequence number added, so that a return finds its call. */
  AMQP.BasicProperties propertiesWithSeq(long seq) {
    Map<String, Object> original = properties.getHeaders();
    Map<String, Object> headers = new HashMap<>(original == null ? 2 : original.size() + 2);
    if (original != null) {
      headers.putAll(original);
    }
    headers.put(CqrsHeaders.PUBLISH_SEQ, seq);
    return properties.builder().headers(headers).build();
  }
}
