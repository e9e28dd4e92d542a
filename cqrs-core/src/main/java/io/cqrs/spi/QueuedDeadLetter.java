package io.cqrs.spi;

import java.util.Objects;

/**
 * A message waiting in a bus's dead-letter queue, as {@link DeadLetterQueues#peekDeadLetters} shows
 * it.
 *
 * @param messageId the command's message id or the event's id
 * @param type the message's logical type name
 * @param reason why it was dead-lettered: {@code handler-failed} (every attempt failed), {@code
 *     non-transient-failure} (a failure that retrying cannot cure), or for a broker's bus one of
 *     its own reasons (such as {@code malformed-message} or {@code unknown-type})
 * @param failure the last failure, as {@code ExceptionClass: message}; empty if none was recorded
 * @param attempts how often handling it was tried before it was dead-lettered
 */
public record QueuedDeadLetter(
    String messageId, String type, String reason, String failure, int attempts) {
  /** {@link #reason}: every attempt failed. */
  public static final String HANDLER_FAILED = "handler-failed";

  /** {@link #reason}: the consumer threw a non-transient framework error. */
  public static final String NON_TRANSIENT = "non-transient-failure";

  public QueuedDeadLetter {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(failure, "failure");
  }
}
