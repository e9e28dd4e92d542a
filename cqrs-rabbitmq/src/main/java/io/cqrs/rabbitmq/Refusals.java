package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which messages a broker's channel error is about. The broker closes a publishing channel over one
 * message (publishing to an exchange that does not exist or that the user may not write to, a body
 * larger than its {@code max_message_size}) and names the exchange or the limit, not the message;
 * every message of the channel still unconfirmed is lost with it. Those of other publications on
 * the shared channel are not at fault: they are sent again on a new channel rather than failed. A
 * reply this does not know implicates every message, as before.
 *
 * <p>Stateless.
 */
final class Refusals {
  // RabbitMQ's words: "NOT_FOUND - no exchange 'x' in vhost '/'" and "ACCESS_REFUSED - access to
  // exchange 'x' in vhost '/' refused for user 'u'" (the default exchange named 'amq.default');
  // "PRECONDITION_FAILED - message size 20000000 is larger than configured max size 16777216"
  // ("than max size" when the limit is the broker's own maximum).
  private static final Pattern EXCHANGE = Pattern.compile("exchange '(.*?)' in vhost '");
  private static final Pattern SIZE =
      Pattern.compile("message size (\\d+) is larger than (?:configured )?max size (\\d+)");

  private Refusals() {}

  /** Whether {@code refusal} may be about {@code message}. */
  static boolean implicates(ShutdownSignalException refusal, OutboundMessage message) {
    if (!(refusal.getReason() instanceof AMQP.Channel.Close close)) {
      return true;
    }
    String text = String.valueOf(close.getReplyText());
    return switch (close.getReplyCode()) {
      case AMQP.NOT_FOUND, AMQP.ACCESS_REFUSED -> {
        Matcher exchange = EXCHANGE.matcher(text);
        yield !exchange.find() || exchangeName(exchange.group(1)).equals(message.exchange());
      }
      case AMQP.PRECONDITION_FAILED -> {
        Matcher size = SIZE.matcher(text);
        yield !size.find() || message.body().length > Long.parseLong(size.group(2));
      }
      default -> true;
    };
  }

  /** The exchange a reply names as a message names it: the broker calls the default one so. */
  private static String exchangeName(String named) {
    return named.equals("amq.default") ? "" : named;
  }

  /** Whether {@code refusal} is the broker's refusal of a body larger than it takes. */
  static boolean tooLarge(ShutdownSignalException refusal) {
    return refusal.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == AMQP.PRECONDITION_FAILED
        && SIZE.matcher(String.valueOf(close.getReplyText())).find();
  }
}
