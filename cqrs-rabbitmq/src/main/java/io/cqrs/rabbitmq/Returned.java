package io.cqrs.rabbitmq;

/**
 * A message the broker could not route to any queue (AMQP {@code basic.return}).
 *
 * @param message the message
 * @param replyCode the broker's code, normally 312 ({@code NO_ROUTE})
 * @param replyText the broker's explanation
 */
record Returned(OutboundMessage message, int replyCode, String replyText) {

  /** Where it was sent, for error messages. */
  String describe() {
    return replyText
        + " (exchange '"
        + message.exchange()
        + "', routing key '"
        + message.routingKey()
        + "')";
  }
}
