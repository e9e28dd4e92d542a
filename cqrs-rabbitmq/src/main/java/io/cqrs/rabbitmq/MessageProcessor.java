package io.cqrs.rabbitmq;

import io.cqrs.CqrsException;
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
 * CqrsException} (a missing handler, say). Any other failure is retried: through the broker's retry
 * queues, or, for ordered subscriptions, in place, holding back the rest of the partition so that
 * the order is kept.
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
    T message;
    try {
      message = decoder.decode(delivery);
    } catch (UnknownTypeException e) {
      return deadLetter(delivery, control, CqrsHeaders.REASON_UNKNOWN_TYPE, attempt, e);
    } catch (RuntimeException e) {
      return deadLetter(delivery, control, CqrsHeaders.REASON_MALFORMED, attempt, e);
    } catch (Error e) { // a type's class that cannot load, say: not the body's fault, so retried
      rethrowIfFatal(e);
      return retryOrDeadLetter(delivery, control, attempt, e);
    }
    return inPlaceDelays == null
        ? handleOnce(delivery, message, attempt, control)
        : handleInPlace(delivery, message, attempt, control);
  }

  private Disposition handleOnce(Inbound delivery, T message, int attempt, Control control) {
    Throwable failure = attempt(message);
    if (failure == null) {
      return Disposition.ACK;
    }
    if (isNonTransient(failure)) {
      return deadLetter(delivery, control, CqrsHeaders.REASON_NON_TRANSIENT, attempt, failure);
    }
    return retryOrDeadLetter(delivery, control, attempt, failure);
  }

  private Disposition handleInPlace(Inbound delivery, T message, int attempt, Control control) {
    for (int current = attempt; ; current++) {
      Throwable failure = attempt(message);
      if (failure == null) {
        return Disposition.ACK;
      }
      if (isNonTransient(failure)) {
        return deadLetter(delivery, control, CqrsHeaders.REASON_NON_TRANSIENT, current, failure);
      }
      if (current > inPlaceDelays.size()) {
        return deadLetter(delivery, control, CqrsHeaders.REASON_HANDLER_FAILED, current, failure);
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

  /** Runs the consumer; returns what it threw, or {@code null}; throws on a fatal error. */
  private Throwable attempt(T message) {
    try {
      consumer.accept(message);
      return null;
    } catch (Throwable e) {
      rethrowIfFatal(e);
      return e;
    }
  }

  private static void rethrowIfFatal(Throwable e) {
    if (BusHealth.isFatal(e)) {
      throw (VirtualMachineError) e;
    }
  }

  private static boolean isNonTransient(Throwable failure) {
    return failure instanceof CqrsException cqrs && !cqrs.isTransient();
  }
}
