package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import io.cqrs.UnpublishableMessageException;
import java.io.IOException;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * What the AMQP client refuses to encode, checked before a message is handed to a channel: a short
 * string (exchange, routing key, a property such as {@code correlation_id}, a header's name) longer
 * than 255 bytes in UTF-8, and content headers larger than the connection's {@code frame_max}; and
 * a body larger than the bus allows, which the broker would refuse by closing the channel. The
 * client counts a message in its channel's publish sequence before it encodes it, so a message it
 * refuses then would shift every later confirm onto the wrong message; checked here, it fails
 * alone, with a message that names the limit.
 *
 * <p>Stateless.
 */
final class MessageLimits {
  /** The longest AMQP short string, in bytes of UTF-8. */
  static final int SHORT_STRING_BYTES = 255;

  /** A string of at most this many chars is a short string whatever its chars: 3 bytes at most. */
  private static final int SHORT_STRING_SAFE_CHARS = SHORT_STRING_BYTES / 3;

  /**
   * The content header frame without its property values: frame (8), class, weight and body size
   * (12), property flags (2), delivery mode and priority (1 each), timestamp (8).
   */
  private static final long HEADER_FRAME_FIXED_BYTES = 32;

  /** A bound that makes the check encode the properties to learn their exact size. */
  private static final long UNKNOWN = Long.MAX_VALUE;

  private MessageLimits() {}

  /**
   * Checks every message of a call before any of it is sent: its short strings, and its body
   * against {@code maxBodyBytes}.
   *
   * @throws IllegalArgumentException naming the message, the part that is too long and the limit
   */
  static void check(List<OutboundMessage> messages, int maxBodyBytes) {
    for (OutboundMessage message : messages) {
      check(message);
      body(message, maxBodyBytes);
    }
  }

  /**
   * Checks a body against the bus's maximum ({@link RabbitBusBuilder#maxMessageBytes}): a broker
   * refuses a body over its {@code max_message_size} by closing the channel, which fails every
   * other message in flight on it, and the client's consumers refuse one over their inbound limit
   * by closing the connection, again on every redelivery.
   *
   * @throws UnpublishableMessageException naming the message, its size and the limit
   */
  private static void body(OutboundMessage message, int maxBodyBytes) {
    int size = message.body().length;
    if (size > maxBodyBytes) {
      throw new UnpublishableMessageException(
          "Cannot publish "
              + what(message)
              + ": its body is "
              + size
              + " bytes, more than the bus's maxMessageBytes of "
              + maxBodyBytes
              + " (RabbitMQ 4's default max_message_size is 16 MiB; raise both together)");
    }
  }

  /**
   * Checks the short strings of one message: exchange, routing key, every short-string property,
   * and the names of its headers.
   *
   * @throws IllegalArgumentException naming the message, the part that is too long and the limit
   */
  static void check(OutboundMessage message) {
    shortString(message, "exchange", message.exchange());
    shortString(message, "routing key", message.routingKey());
    AMQP.BasicProperties p = message.properties();
    shortString(message, "content_type property", p.getContentType());
    shortString(message, "content_encoding property", p.getContentEncoding());
    shortString(message, "correlation_id property", p.getCorrelationId());
    shortString(message, "reply_to property", p.getReplyTo());
    shortString(message, "expiration property", p.getExpiration());
    shortString(message, "message_id property", p.getMessageId());
    shortString(message, "type property", p.getType());
    shortString(message, "user_id property", p.getUserId());
    shortString(message, "app_id property", p.getAppId());
    shortString(message, "cluster_id property", p.getClusterId());
    if (message.headers() != null) {
      for (String name : message.headers().keySet()) {
        shortString(message, "header name", name);
      }
    }
  }

  /**
   * Checks that the content header frame of {@code sent}, the properties as they go out, fits in
   * the connection's {@code frame_max}. A cheap bound decides for the usual message; only one whose
   * bound is over the limit, or whose headers hold nested values, is encoded to be measured.
   *
   * @param frameMax the connection's negotiated {@code frame_max}; 0 means no limit
   * @throws IllegalArgumentException naming the message, its size and the limit
   */
  static void checkHeaderFrame(OutboundMessage message, AMQP.BasicProperties sent, int frameMax) {
    if (frameMax <= 0 || bound(sent) <= frameMax) {
      return;
    }
    int size;
    try {
      size = sent.toFrame(0, message.body().length).size();
    } catch (IOException e) {
      throw new UnpublishableMessageException(
          "Cannot encode the properties of " + what(message), e);
    }
    if (size > frameMax) {
      throw new UnpublishableMessageException(
          "Cannot publish "
              + what(message)
              + ": its properties and headers take "
              + size
              + " bytes, more than the frame_max of "
              + frameMax
              + " bytes the connection negotiated with the broker; make its headers (metadata"
              + " carried as headers, such as tracestate) smaller");
    }
  }

  private static void shortString(OutboundMessage message, String part, String value) {
    if (value == null || value.length() <= SHORT_STRING_SAFE_CHARS) {
      return;
    }
    int bytes = utf8Length(value);
    if (bytes > SHORT_STRING_BYTES) {
      throw new UnpublishableMessageException(
          "Cannot publish "
              + what(message)
              + ": its "
              + part
              + " is "
              + bytes
              + " bytes long in UTF-8, and AMQP allows at most "
              + SHORT_STRING_BYTES
              + "; shorten it");
    }
  }

  /** The message's type and id for an exception message, each cut short if long. */
  static String what(OutboundMessage message) {
    return "message "
        + abbreviate(message.properties().getMessageId())
        + " of type "
        + abbreviate(message.messageType());
  }

  /** The first 64 characters, never half a surrogate pair (which would print as '?'). */
  static String abbreviate(String text) {
    if (text == null || text.length() <= 64) {
      return "'" + text + "'";
    }
    int end = Character.isHighSurrogate(text.charAt(63)) ? 63 : 64;
    return "'" + text.substring(0, end) + "...'";
  }

  /**
   * How many bytes the string takes in UTF-8 as the client encodes it ({@link String#getBytes}: a
   * lone surrogate becomes one {@code ?}), without encoding it.
   */
  static int utf8Length(CharSequence text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (!Character.isSurrogate(c)) {
        bytes += 3;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 1;
      }
    }
    return bytes;
  }

  /** An upper bound of the size of the content header frame of {@code properties}, cheaply. */
  private static long bound(AMQP.BasicProperties properties) {
    long bytes = HEADER_FRAME_FIXED_BYTES;
    for (String value :
        new String[] {
          properties.getContentType(),
          properties.getContentEncoding(),
          properties.getCorrelationId(),
          properties.getReplyTo(),
          properties.getExpiration(),
          properties.getMessageId(),
          properties.getType(),
          properties.getUserId(),
          properties.getAppId(),
          properties.getClusterId()
        }) {
      bytes += value == null ? 0 : 1 + 3L * value.length();
    }
    Map<String, Object> headers = properties.getHeaders();
    if (headers != null) {
      bytes += 4;
      for (Map.Entry<String, Object> header : headers.entrySet()) {
        long value = valueBound(header.getValue());
        if (value == UNKNOWN) {
          return UNKNOWN;
        }
        bytes += 1 + 3L * header.getKey().length() + value;
      }
    }
    return bytes;
  }

  /** An upper bound of a header value's encoded size (type octet included), or {@link #UNKNOWN}. */
  private static long valueBound(Object value) {
    if (value == null || value instanceof Boolean || value instanceof Byte) {
      return 2;
    }
    if (value instanceof String text) {
      return 5 + 3L * text.length();
    }
    if (value instanceof LongString text) {
      return 5 + text.length();
    }
    if (value instanceof byte[] bytes) {
      return 5 + bytes.length;
    }
    if (value instanceof Number || value instanceof Date) {
      return 10; // the widest number (a long, a double, a decimal) or a timestamp
    }
    return UNKNOWN; // nested tables and arrays: measured exactly
  }
}
