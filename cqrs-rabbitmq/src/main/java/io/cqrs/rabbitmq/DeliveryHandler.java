package io.cqrs.rabbitmq;

import java.time.Duration;

/** What a {@link Listener} does with each delivery; runs on the listener's own thread. */
@FunctionalInterface
interface DeliveryHandler {

  /** How a handled delivery is settled with the broker. */
  enum Disposition {
    /** Done (handled, or a copy was confirmed in a retry or dead-letter queue). */
    ACK,
    /** Not done: back to its queue, in its position, for any listener. */
    REQUEUE,
    /** Give up: the broker dead-letters it to the queue's dead-letter queue. */
    REJECT
  }

  /** What a handler may ask of its listener. */
  interface Control {
    /** Acknowledges what was handled so far, before a long wait. */
    void flushAcks();

    /**
     * Waits, unless the listener stops first.
     *
     * @return {@code true} if the listener is stopping
     */
    boolean awaitStop(Duration delay);
  }

  /** Handles one delivery and says how to settle it. */
  Disposition handle(Inbound delivery, Control control);
}
