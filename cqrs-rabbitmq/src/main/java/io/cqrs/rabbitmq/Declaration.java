package io.cqrs.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One idempotent declaration of an exchange, a queue or a binding, or a check that an exchange or
 * queue exists. A bus keeps the declarations it made, so that tests can delete what a bus declared.
 *
 * @param kind what is declared
 * @param name the exchange or queue name (for a binding: its destination)
 * @param key what identifies this declaration among the others
 * @param check whether the call only checks that the entity exists (a passive declaration)
 * @param action the AMQP call
 */
record Declaration(Kind kind, String name, String key, boolean check, Action action) {

  /** What a declaration creates. */
  enum Kind {
    EXCHANGE,
    QUEUE,
    BINDING
  }

  /** The AMQP call of a declaration. */
  @FunctionalInterface
  interface Action {
    void run(Channel channel) throws IOException;
  }

  /** A durable exchange of a built-in type. */
  static Declaration exchange(String name, BuiltinExchangeType type) {
    return new Declaration(
        Kind.EXCHANGE,
        name,
        "exchange " + name,
        false,
        channel -> channel.exchangeDeclare(name, type, true, false, Map.of()));
  }

  /** A durable exchange of a plugin's type, with arguments. */
  static Declaration exchange(String name, String type, Map<String, Object> arguments) {
    return new Declaration(
        Kind.EXCHANGE,
        name,
        "exchange " + name,
        false,
        channel -> channel.exchangeDeclare(name, type, true, false, arguments));
  }

  /** A durable, non-exclusive queue that is never deleted automatically. */
  static Declaration queue(String name, Map<String, Object> arguments) {
    return new Declaration(
        Kind.QUEUE,
        name,
        "queue " + name,
        false,
        channel -> channel.queueDeclare(name, true, false, false, arguments));
  }

  /** A binding of a queue to an exchange. */
  static Declaration queueBinding(String queue, String exchange, String routingKey) {
    return new Declaration(
        Kind.BINDING,
        queue,
        "binding " + exchange + " -> queue " + queue + " [" + routingKey + "]",
        false,
        channel -> channel.queueBind(queue, exchange, routingKey));
  }

  /** A binding of an exchange to another exchange. */
  static Declaration exchangeBinding(String destination, String source, String routingKey) {
    return new Declaration(
        Kind.BINDING,
        destination,
        "binding " + source + " -> exchange " + destination + " [" + routingKey + "]",
        false,
        channel -> channel.exchangeBind(destination, source, routingKey));
  }

  /**
   * The checks that stand for {@code declarations} when a bus does not declare its topology: a
   * passive declaration of each exchange and queue, which fails if it does not exist and needs no
   * configure permission. Bindings are left out: AMQP cannot check them.
   */
  static List<Declaration> checks(List<Declaration> declarations) {
    List<Declaration> checks = new ArrayList<>(declarations.size());
    for (Declaration declaration : declarations) {
      String name = declaration.name();
      switch (declaration.kind()) {
        case EXCHANGE ->
            checks.add(
                new Declaration(
                    Kind.EXCHANGE,
                    name,
                    declaration.key(),
                    true,
                    channel -> channel.exchangeDeclarePassive(name)));
        case QUEUE ->
            checks.add(
                new Declaration(
                    Kind.QUEUE,
                    name,
                    declaration.key(),
                    true,
                    channel -> channel.queueDeclarePassive(name)));
        case BINDING -> {}
      }
    }
    return checks;
  }
}
