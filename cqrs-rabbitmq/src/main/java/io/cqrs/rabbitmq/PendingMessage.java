package io.cqrs.rabbitmq;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One message handed to a channel, and how that ended. It is settled exactly once, by whichever
 * comes first: its confirm or nack, the loss of its channel, or the failure to send it; later
 * settlements are ignored. Settling tells its {@link PublishRound}, which gives back the message's
 * window permit.
 *
 * <p>Thread-safe: created and sent by the publishing thread, settled by any thread (usually the
 * connection's I/O thread).
 */
final class PendingMessage {
  /** How one message ended. */
  enum Outcome {
    /** The broker took it and routed it to at least one queue. */
    CONFIRMED,
    /** The broker took it but could route it to no queue ({@code basic.return}, then the ack). */
    RETURNED,
    /** Its fate is unknown (nacked, or its channel went down): it must be sent again. */
    LOST
  }

  private static final VarHandle OUTCOME;

  static {
    try {
      OUTCOME =
          MethodHandles.lookup().findVarHandle(PendingMessage.class, "outcome", Outcome.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final PublishRound round;
  final OutboundMessage message;

  /** The channel's confirms it was sent under; {@code null} until it is handed to a channel. */
  volatile ConfirmTracker sentOn;

  /** Set by the return that precedes the confirm of an unroutable message. */
  volatile Returned returned;

  @SuppressWarnings("unused") // through OUTCOME
  private volatile Outcome outcome;

  PendingMessage(PublishRound round, OutboundMessage message) {
    this.round = round;
    this.message = message;
  }

  /** Records the outcome and tells the round, unless the message was settled already. */
  void settle(Outcome settled) {
    if (OUTCOME.compareAndSet(this, null, settled)) {
      round.settled();
    }
  }

  /** How it ended, or {@code null} while unsettled. */
  Outcome outcome() {
    return outcome;
  }
}
