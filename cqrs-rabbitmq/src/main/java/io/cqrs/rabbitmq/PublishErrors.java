package io.cqrs.rabbitmq;

import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.UnpublishableMessageException;
import java.time.Duration;

/**
 * The exceptions publishing throws (or fails a future with), so that the blocking and the
 * asynchronous publisher report a failure with the same type and the same words. Messages name the
 * broker as {@code host:port/vhost} only.
 *
 * <p>Stateless.
 */
final class PublishErrors {
  private static final String CLOSED = "The publisher is closed";

  private PublishErrors() {}

  /** A call on a publisher that is closing or closed. */
  static IllegalStateException closed() {
    return new IllegalStateException(CLOSED);
  }

  /** A call that the publisher's closing cut short. */
  static IllegalStateException closed(Throwable cause) {
    return new IllegalStateException(CLOSED, cause);
  }

  /**
   * A call's messages were not all confirmed by its deadline, whatever it was waiting for (the
   * connection to recover, room in the confirm window or the republisher's queue, the confirms):
   * one type and one message for one cause, naming what the connection is doing.
   */
  static BrokerUnavailableException unavailable(PublishChannel channel, Duration timeout) {
    return unavailable(channel.broker(), channel.condition(), timeout);
  }

  /**
   * The same, given the broker and what its connection is doing.
   *
   * @param condition what the publishing connection is doing (down since when and why, blocked, up)
   */
  static BrokerUnavailableException unavailable(String broker, String condition, Duration timeout) {
    return new BrokerUnavailableException(
        broker,
        "messages not confirmed within "
            + timeout
            + "; "
            + condition
            + ". Some of them may have been delivered: publishing them again is safe",
        null);
  }

  static BrokerUnavailableException interrupted(String broker, InterruptedException e) {
    return new BrokerUnavailableException(broker, "interrupted while publishing", e);
  }

  /**
   * Throws if the broker closed the channel over a message of a round and messages are left to
   * send: a channel error (such as publishing to an exchange that was deleted) would only repeat,
   * so it is reported instead of publishing again until the deadline.
   *
   * @param refusal why the broker closed a channel of the round, or {@code null}
   * @param notPublished how many messages are left to send
   * @throws NonTransientCqrsException naming the broker's reply; {@link
   *     UnpublishableMessageException} for a body larger than the broker takes
   */
  static void failIfRefused(String broker, ShutdownSignalException refusal, int notPublished) {
    if (refusal != null && notPublished > 0) {
      String message =
          "RabbitMQ at "
              + broker
              + " closed the publishing channel: "
              + Failures.reply(refusal)
              + "; "
              + notPublished
              + " message(s) not confirmed (those sent before the refused one may have been"
              + " delivered)";
      if (Refusals.tooLarge(refusal)) {
        // What the bus can never carry: a relay dead-letters it rather than retrying for ever.
        throw new UnpublishableMessageException(message, refusal);
      }
      throw new NonTransientCqrsException(message, refusal);
    }
  }
}
