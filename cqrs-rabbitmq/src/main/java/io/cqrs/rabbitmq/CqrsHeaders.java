package io.cqrs.rabbitmq;

/**
 * The AMQP header names the RabbitMQ buses set, for operators and tools that read the queues.
 *
 * <p>The failure headers ({@link #ATTEMPTS}, {@link #EXCEPTION}, {@link #REASON}, {@link #QUEUE},
 * {@link #DEAD_LETTERED_AT}, {@link #ORIGINAL_EXCHANGE}, {@link #ORIGINAL_ROUTING_KEY}, {@link
 * #ORIGINAL_USER_ID}, {@link #REPLAYED}) are written by the framework only: on a message as it was
 * published they are ignored, and the framework's copies of it do not carry them on.
 *
 * <p>Every message also carries the standard properties: {@code message_id} (the event id or
 * command message id), {@code correlation_id}, {@code type} (the logical type name), {@code
 * content_type} ({@code application/json}), {@code timestamp} and {@code delivery_mode} 2
 * (persistent). See {@code docs/rabbitmq.md} for how they are used. A message whose metadata holds
 * a W3C trace context also carries it as the headers {@code traceparent} and {@code tracestate},
 * and a valid trace context in those headers is taken into the consumed envelope's metadata.
 */
public final class CqrsHeaders {
  /** The event's stream (aggregate) id; ordered subscriptions partition on it. */
  public static final String SOURCE_ID = "x-cqrs-source-id";

  /** The event's version in its stream. */
  public static final String VERSION = "x-cqrs-version";

  /** The publisher's sequence number, which ties a returned message to its publish call. */
  public static final String PUBLISH_SEQ = "x-cqrs-seq";

  /** How many times handling the message has failed so far. */
  public static final String ATTEMPTS = "x-cqrs-attempts";

  /** The last failure, as exception class, message and the top of the stack trace. */
  public static final String EXCEPTION = "x-cqrs-exception";

  /** Why a message was dead-lettered: one of the {@code REASON_*} values. */
  public static final String REASON = "x-cqrs-reason";

  /** The exchange the message was first published to. */
  public static final String ORIGINAL_EXCHANGE = "x-cqrs-original-exchange";

  /** The routing key the message was first published with. */
  public static final String ORIGINAL_ROUTING_KEY = "x-cqrs-original-routing-key";

  /**
   * The {@code user_id} property the message was first published with, which the broker had checked
   * against its publisher's user. The framework's copies do not carry the property itself: the
   * broker refuses a publish whose {@code user_id} is not the publishing connection's user.
   */
  public static final String ORIGINAL_USER_ID = "x-cqrs-original-user-id";

  /** The queue from which the message was retried or dead-lettered. */
  public static final String QUEUE = "x-cqrs-queue";

  /** When the message was dead-lettered, as an ISO-8601 instant. */
  public static final String DEAD_LETTERED_AT = "x-cqrs-dead-lettered-at";

  /** How many times the message was replayed from a dead-letter queue. */
  public static final String REPLAYED = "x-cqrs-replayed";

  /** {@link #REASON}: the handler failed on every attempt. */
  public static final String REASON_HANDLER_FAILED = "handler-failed";

  /** {@link #REASON}: the handler threw a non-transient framework error; retrying cannot help. */
  public static final String REASON_NON_TRANSIENT = "non-transient-failure";

  /**
   * {@link #REASON}: the body is not a well-formed envelope, or the envelope's type name is not the
   * message's {@code type} property.
   */
  public static final String REASON_MALFORMED = "malformed-message";

  /** {@link #REASON}: the envelope names a type that the registry does not hold. */
  public static final String REASON_UNKNOWN_TYPE = "unknown-type";

  /**
   * {@link #REASON}: the envelope is at a revision of its type newer than this consumer knows
   * ({@link io.cqrs.NewerRevisionException}): a newer version of the application wrote it, and it
   * reads once the consumers run that version; replay it then.
   */
  public static final String REASON_NEWER_REVISION = "newer-revision";

  private CqrsHeaders() {}
}
