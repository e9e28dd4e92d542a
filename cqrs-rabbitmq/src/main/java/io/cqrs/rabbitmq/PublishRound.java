package io.cqrs.rabbitmq;

import com.rabbitmq.client.ShutdownSignalException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One round of a publication: its messages are sent once, each taking a window permit, and the
 * round ends when every message sent is settled; then {@link #collect} says what was returned and
 * what must be sent again in the next round. One count of unsettled messages, and one notification
 * when it reaches zero, rather than a future per message. The count starts at one, held by the
 * sender until {@link #send} is done, so that messages settled while later ones are still being
 * sent cannot end the round early.
 *
 * <p>Threading: {@link #send} is called once, by the sending thread; messages are settled on any
 * thread, and {@link #allSettled} runs once, on the thread that settled the last one (often the
 * connection's I/O thread, so it must not block); {@link #collect} is called after that.
 */
abstract class PublishRound {
  /** Hands one message to the broker. */
  interface Transmitter {
    /**
     * Publishes {@code message}, settling it as lost if that fails.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline for waiting to send
     * @return whether it was handed over; if not, the round sends no more
     */
    boolean transmit(PendingMessage message, long deadlineNanos);
  }

  private final List<OutboundMessage> messages;
  private final PendingMessage[] pending;
  private final Permits window;
  private final AtomicInteger unsettled = new AtomicInteger(1);

  /**
   * How many of the messages were handed to the channel. Written by the sending thread only, before
   * it gives up its hold on {@code unsettled}; whoever finishes the round reads it after that
   * atomic update, so it needs no volatile.
   */
  private int sent;

  /**
   * Set by {@link #collect}: why the broker closed a channel that lost one of its messages, if the
   * broker's reply may be about one of them ({@link Refusals#implicates}).
   */
  private ShutdownSignalException refusal;

  PublishRound(List<OutboundMessage> messages, Permits window) {
    this.messages = messages;
    this.pending = new PendingMessage[messages.size()];
    this.window = window;
  }

  /**
   * Sends the messages until one cannot be sent, each taking a window permit that its settlement
   * releases, then gives up the sender's hold on the round. Called once, by the sending thread.
   *
   * @throws BrokerUnavailableException if no window permit is free by {@code deadlineNanos}; the
   *     round then never ends, and the messages sent settle (and give back their permits) as usual
   */
  void send(long deadlineNanos, Transmitter transmitter) {
    for (OutboundMessage message : messages) {
      window.acquire(1, deadlineNanos);
      PendingMessage added = new PendingMessage(this, message);
      pending[sent] = added;
      unsettled.incrementAndGet();
      sent++;
      if (!transmitter.transmit(added, deadlineNanos)) {
        break;
      }
    }
    // The sender's hold is given up only now: the round cannot finish before this.
    if (unsettled.decrementAndGet() == 0) {
      allSettled();
    }
  }

  /** One of its messages was settled (called once per message, by {@link PendingMessage}). */
  final void settled() {
    window.release(1);
    if (unsettled.decrementAndGet() == 0) {
      allSettled();
    }
  }

  final boolean isSettled() {
    return unsettled.get() == 0;
  }

  /** Called once, on the thread that settled the last message (often the I/O thread). */
  abstract void allSettled();

  /**
   * Adds the returned messages to {@code returned}, and answers what must be sent again: the lost
   * ones, and those that were never handed over. Called once the round is settled.
   */
  final List<OutboundMessage> collect(List<Returned> returned) {
    List<OutboundMessage> again = new ArrayList<>(0);
    for (int i = 0; i < sent; i++) {
      PendingMessage p = pending[i];
      switch (p.outcome()) {
        case CONFIRMED -> {}
        case RETURNED -> returned.add(p.returned);
        case LOST -> {
          again.add(p.message);
          ConfirmTracker channel = p.sentOn;
          ShutdownSignalException closed = channel == null ? null : channel.refusal();
          // Only a refusal that may be about this message is this round's: another publication's
          // bad message on the shared channel does not make this one's fail.
          if (refusal == null && closed != null && Refusals.implicates(closed, p.message)) {
            refusal = closed;
          }
        }
      }
    }
    again.addAll(messages.subList(sent, messages.size()));
    return again;
  }

  /** After {@link #collect}: why the broker closed a channel over a lost message, or null. */
  final ShutdownSignalException refusal() {
    return refusal;
  }
}
