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
    REJECT,
    /**
     * Not done, and nothing may pass it: the listener leaves it unacknowledged, reports itself lost
     * for good and closes its channel, which returns it to its queue ahead of everything the
     * listener had prefetched, all in their order. For an ordered partition's message that can be
     * neither handled nor moved to the dead-letter queue: with {@link #REQUEUE} the listener would
     * go on with the later messages it holds, which would overtake it.
     */
    GIVE_BACK
  }

  /** What a handler may ask of its listener. */
  interface Control {
    /** Acknowledges what was handled so far, before a long wait. */
    void flushAcks();

    /**
     * Waits, unless the listener stops or the channel that delivered the message in hand dies
     * first.
     *
     * @return {@code true} if the message in hand is to be given up: the listener is stopping, or
     *     {@link #channelDied}
     */
    boolean awaitStop(Duration delay);

    /**
     * Whether the channel that delivered the message in hand has died since. The broker then has
     * the message again and delivers it anew (to this listener's recovered channel, or to another
     * consumer, perhaps the partition's new active one): it is not to be retried, copied to a retry
     * queue or dead-lettered, only settled with {@link Disposition#REQUEUE}, which does nothing for
     * a dead channel's delivery.
     */
    boolean channelDied();
  }

  /** Handles one delivery and says how to settle it. */
  Disposition handle(Inbound delivery, Control control);
}
