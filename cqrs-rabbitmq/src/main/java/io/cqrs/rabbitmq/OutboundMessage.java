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
 * @param properties its AMQP properties; their own headers are not sent, {@code headers} are
 * @param headers its headers, or {@code null}
 * @param body its body
 */
record OutboundMessage(
    String exchange,
    String routingKey,
    String messageType,
    AMQP.BasicProperties properties,
    Map<String, Object> headers,
    byte[] body) {

  /** A message with the headers of its properties. */
  OutboundMessage(
      String exchange,
      String routingKey,
      String messageType,
      AMQP.BasicProperties properties,
      byte[] body) {
    this(exchange, routingKey, messageType, properties, properties.getHeaders(), body);
  }

  /**
   * The properties to send, with the publisher's sequence number added to the headers, so that a
   * return finds its call. Built once per publication with the constructor, not a builder: this is
   * on the path of every message.
   */
  AMQP.BasicProperties propertiesWithSeq(long seq) {
    Map<String, Object> withSeq = new HashMap<>(headers == null ? 2 : headers.size() + 2);
    if (headers != null) {
      withSeq.putAll(headers);
    }
    withSeq.put(CqrsHeaders.PUBLISH_SEQ, seq);
    AMQP.BasicProperties p = properties;
    return new AMQP.BasicProperties(
        p.getContentType(),
        p.getContentEncoding(),
        withSeq,
        p.getDeliveryMode(),
        p.getPriority(),
        p.getCorrelationId(),
        p.getReplyTo(),
        p.getExpiration(),
        p.getMessageId(),
        p.getTimestamp(),
        p.getType(),
        p.getUserId(),
        p.getAppId(),
        p.getClusterId());
  }
}
