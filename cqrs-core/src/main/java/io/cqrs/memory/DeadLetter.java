package io.cqrs.memory;

import java.util.Objects;

/**
 * A message an in-memory bus gave up on, with why.
 *
 * @param subscription the subscription (or service) that could not handle it
 * @param message the event or command
 * @param reason the last failure, as {@code ExceptionClass: message}
 * @param attempts how often it was tried
 */
public record DeadLetter<T>(String subscription, T message, String reason, int attempts) {
  public DeadLetter {
    Objects.requireNonNull(subscription, "subscription");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(reason, "reason");
  }
}
