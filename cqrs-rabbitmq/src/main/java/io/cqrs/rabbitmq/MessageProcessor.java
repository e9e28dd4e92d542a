package io.cqrs.rabbitmq;

import io.cqrs.CqrsException;
import io.cqrs.NewerRevisionException;
import io.cqrs.UnknownTypeException;
import io.cqrs.spi.BusHealth;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a delivery and hands it to the application's consumer, then decides what becomes of it.
 *
 * <p>A body that does not decode, or names an unknown type, goes straight to the dead-letter queue:
 * no retry can cure it. So does a message whose consumer throws a non-transient {@link
 * CqrsException} (a missing handler, say). Any other failure (a decoding {@code Error} included) is
 * retried: through the broker's retry queues, or, for ordered subscriptions, in place, holding back
 * the rest of the partition so that the order is kept.
 *
 * <p>On an ordered subscription a failed message is never handed back for a requeue while its
 * channel lives: the broker would put it back at the head of its partition, but the listener would
 * go on with the later messages it had already prefetched, which then overtake it. So when the
 * dead-letter copy cannot be published (the broker blocks publishers for longer than the publish
 * timeout, the user may not write to the failure exchange, the exchange was deleted), the copy is
 * tried again in place after each retry delay; if it still cannot be published, the message is
 * {@linkplain Disposition#GIVE_BACK given back}: the listener stops and closes its channel, which
 * returns the message and everything prefetched behind it to the partition in their order.
 *
 * <p>A failed message whose channel died meanwhile ({@link Control#channelDied}) goes nowhere: the
 * broker delivers it again, and a retry or dead-letter copy would be a second message beside that
 * redelivery (on an ordered partition, one the new active consumer may already have handled).
 *
 * <p>"Failure" means any {@link Throwable} the consumer (or the decoder) throws, {@code Error}s
 * included, except a fatal one ({@link BusHealth#isFatal}): that is not retried or dead-lettered
 * but thrown on to the {@link Listener}, which stops the bus and leaves the message unacknowledged.
 *
 * @param <T> the decoded message: an event or a command envelope
 */
final class MessageProcessor<T> implements DeliveryHandler {
  private static final Logger log = LoggerFactory.getLogger(MessageProcessor.class);

  /** Turns a delivery into a message; throws for malformed messages and unknown types. */
  @FunctionalInterface
  interface Decoder<T> {
    T decode(Inbound delivery);
  }

  /** The application's consumer. */
  @FunctionalInterface
  interface Consumer<T> {
    void accept(T message) throws Exception;
  }

  private final Decoder<T> decoder;
  private final Consumer<T> consumer;
  private final FailureRouter failures;
  private final List<Duration> inPlaceDelays;

  private MessageProcessor(
      Decoder<T> decoder, Consumer<T> consumer, FailureRouter failures, List<Duration> delays) {
    this.decoder = decoder;
    this.consumer = consumer;
    this.failures = failures;
    this.inPlaceDelays = delays;
  }

  /** Retries through the broker's delayed retry queues. */
  static <T> MessageProcessor<T> retryingThroughBroker(
      Decoder<T> decoder, Consumer<T> consumer, FailureRouter failures) {
    return new MessageProcessor<>(decoder, consumer, failures, null);
  }

  /** Retries on the listener's thread after each delay, keeping the queue's order. */
  static <T> MessageProcessor<T> retryingInPlace(
      Decoder<T> decoder, Consumer<T> consumer, FailureRouter failures, List<Duration> delays) {
    return new MessageProcessor<>(decoder, consumer, failures, List.copyOf(delays));
  }

  @Override
  public Disposition handle(Inbound delivery, Control control) {
    int attempt = failures.attemptOf(delivery);
    if (inPlaceDelays != null) {
      return handleInPlace(delivery, attempt, control);
    }
    T message;
    try {
      message = decoder.decode(delivery);
    } catch (UnknownTypeException e) {
      return deadLetter(delivery, control, CqrsHeaders.REASON_UNKNOWN_TYPE, attempt, e);
    } catch (RuntimeException e) {
      return deadLetter(delivery, control, undecodable(e), attempt, e);
    } catch (Error e) { // a type's class that cannot load, say: not the body's fault, so retried
      rethrowIfFatal(e);
      return retryOrDeadLetter(delivery, control, attempt, e);
    }
    Throwable failure = attempt(message);
    if (failure == null) {
      return Disposition.ACK;
    }
    if (isNonTransient(failure)) {
      return deadLetter(delivery, control, CqrsHeaders.REASON_NON_TRANSIENT, attempt, failure);
    }
    return retryOrDeadLetter(delivery, control, attempt, failure);
  }

  /**
   * Decodes and handles the message, again after each delay while it fails, then dead-letters it. A
   * decoding {@code Error} is retried like a consumer's failure: it is the class path's, not the
   * body's, and may pass (a class whose static initializer failed on a resource that is back).
   */
  private Disposition handleInPlace(Inbound delivery, int attempt, Control control) {
    for (int current = attempt; ; current++) {
      Throwable failure;
      try {
        failure = attempt(decoder.decode(delivery));
      } catch (UnknownTypeException e) {
        return deadLetterInPlace(delivery, control, CqrsHeaders.REASON_UNKNOWN_TYPE, current, e);
      } catch (RuntimeException e) {
        return deadLetterInPlace(delivery, control, undecodable(e), current, e);
      } catch (Error e) {
        rethrowIfFatal(e);
        failure = e;
      }
      if (failure == null) {
        return Disposition.ACK;
      }
      if (isNonTransient(failure)) {
        return deadLetterInPlace(
            delivery, control, CqrsHeaders.REASON_NON_TRANSIENT, current, failure);
      }
      if (current > inPlaceDelays.size()) {
        return deadLetterInPlace(
            delivery, control, CqrsHeaders.REASON_HANDLER_FAILED, current, failure);
      }
      Duration delay = inPlaceDelays.get(current - 1);
      log.info(
          "Attempt {} at {} failed, retrying in {}: {}",
          current,
          delivery.describe(),
          delay,
          Failures.summary(failure));
      control.flushAcks();
      if (control.awaitStop(delay)) {
        // Back to the head of its partition, so whoever takes over keeps the order; after the
        // channel died, the broker has put it back already.
        return Disposition.REQUEUE;
      }
    }
  }

  /**
   * Dead-letters a message of an ordered partition, trying the copy again after each retry delay
   * while it cannot be published, and gives the message back ({@link Disposition#GIVE_BACK}) when
   * it never could: a requeue would let the partition's later messages, which the listener already
   * holds, overtake it. A copy the broker takes but cannot route (the dead-letter queue is gone) is
   * not tried again: the message is rejected, as on any subscription.
   */
  private Disposition deadLetterInPlace(
      Inbound delivery, Control control, String reason, int attempts, Throwable failure) {
    for (int copy = 0; ; copy++) {
      Disposition moved = deadLetter(delivery, control, reason, attempts, failure);
      if (moved != Disposition.REQUEUE || control.channelDied()) {
        return moved;
      }
      if (copy >= inPlaceDelays.size()) {
        log.error(
            "Cannot dead-letter {} after {} tries; giving it back with the rest of its partition,"
                + " in order",
            delivery.describe(),
            copy + 1);
        return Disposition.GIVE_BACK;
      }
      Duration delay = inPlaceDelays.get(copy);
      log.warn(
          "Cannot dead-letter {}; trying again in {}, holding back its partition",
          delivery.describe(),
          delay);
      control.flushAcks();
      if (control.awaitStop(delay)) {
        return Disposition.REQUEUE; // stopping, or the broker has it back: the order is kept
      }
    }
  }

  private Disposition deadLetter(
      Inbound delivery, Control control, String reason, int attempts, Throwable failure) {
    return leftToBroker(delivery, control, failure)
        ? Disposition.REQUEUE
        : failures.deadLetter(delivery, reason, attempts, failure);
  }

  private Disposition retryOrDeadLetter(
      Inbound delivery, Control control, int attempt, Throwable failure) {
    return leftToBroker(delivery, control, failure)
        ? Disposition.REQUEUE
        : failures.retryOrDeadLetter(delivery, attempt, failure);
  }

  /** Whether the delivery's channel died, so that the broker, not a copy, takes the message on. */
  private static boolean leftToBroker(Inbound delivery, Control control, Throwable failure) {
    if (!control.channelDied()) {
      return false;
    }
    log.info(
        "{} failed after its channel died; the broker delivers it again: {}",
        delivery.describe(),
        Failures.summary(failure));
    return true;
  }

  /**
   * Runs the consumer; returns what it threw, or {@code null}; throws on a fatal error. An
   * interrupt the consumer leaves set is cleared here, before it fails the copy this message may
   * need or cuts a retry's wait short; the listener logs it ({@link Listener}).
   */
  private Throwable attempt(T message) {
    try {
      consumer.accept(message);
      return null;
    } catch (Throwable e) {
      rethrowIfFatal(e);
      return e;
    } finally {
      if (Thread.interrupted()) {
        log.warn("A consumer left the listener thread's interrupt flag set; cleared it");
      }
    }
  }

  private static void rethrowIfFatal(Throwable e) {
    if (BusHealth.isFatal(e)) {
      throw (VirtualMachineError) e;
    }
  }

  /**
   * Why a message that did not decode is dead-lettered: {@code newer-revision} when a newer version
   * of the application wrote it (it reads once this consumer runs that version; replay it then),
   * else {@code malformed-message}.
   */
  private static String undecodable(RuntimeException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof NewerRevisionException) {
        return CqrsHeaders.REASON_NEWER_REVISION;
      }
    }
    return CqrsHeaders.REASON_MALFORMED;
  }

  private static boolean isNonTransient(Throwable failure) {
    return failure instanceof CqrsException cqrs && !cqrs.isTransient();
  }
}
