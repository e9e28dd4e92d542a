package io.cqrs.spi;

import io.cqrs.TransientCqrsException;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Carries committed {@link VersionedEvent}s to subscribers (andrewwebber's {@code
 * VersionedEventPublisher} and {@code VersionedEventReceiver} in one).
 *
 * <p>Every named subscription receives every event published after it was first created; the
 * listeners of one subscription (in this process or others) compete, so each event is handled once
 * per subscription. Delivery is at least once: an event whose consumer throws is retried a bounded
 * number of times, then dead-lettered with the reason, and the subscription goes on; this holds for
 * any {@link Throwable} a consumer throws, {@code Error}s included, except the fatal ones ({@link
 * BusHealth#isFatal}), which stop the bus's consumers and show in {@link #health()}.
 * Implementations pass {@code io.cqrs.testing.EventBusContract} and are thread-safe.
 */
public interface EventBus extends AutoCloseable {

  /**
   * Publishes events in order. Returns once the bus has accepted all of them durably (for a broker:
   * confirmed them).
   *
   * @throws TransientCqrsException if the bus is unavailable; some of the events may have been
   *     published, so publishers must tolerate duplicates downstream
   */
  void publish(List<VersionedEvent> events);

  /**
   * Publishes events in order without waiting for the bus: the future completes once the bus has
   * accepted all of them durably, or fails with the {@link TransientCqrsException} (or {@link
   * UnroutableMessageException}) that {@link #publish} would have thrown. What is wrong with the
   * call itself (a null event, an event that cannot be serialized, a closed bus) is thrown at once
   * and publishes nothing.
   *
   * <p>A broker bus returns at once (it may wait while too many messages await the broker's
   * confirms, as back-pressure); the default, for buses that accept events synchronously anyway,
   * publishes on the calling thread and returns a completed future.
   */
  default CompletableFuture<Void> publishAsync(List<VersionedEvent> events) {
    Objects.requireNonNull(events, "events");
    try {
      publish(events);
      return CompletableFuture.completedFuture(null);
    } catch (TransientCqrsException | UnroutableMessageException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Starts consuming a named subscription on {@code listeners} threads.
   *
   * @param subscription the subscription's name; every subscription gets every event
   * @param listeners how many events of this subscription may be handled at once here
   * @param consumer called for each event; throwing makes the bus retry, then dead-letter (a fatal
   *     error stops the bus instead, see {@link BusHealth})
   * @return a handle whose {@link Subscription#close()} stops consuming after in-flight events
   */
  Subscription subscribe(String subscription, int listeners, VersionedEventHandler consumer);

  /**
   * How this bus's consumers are doing: whether every listener it started consumes, how many do,
   * and the last failure that took consumers away (see {@link BusHealth} for which failures stop a
   * bus). Cheap and thread-safe, for readiness checks.
   *
   * <p>The default, for buses that run no consumers of their own (test doubles, publishing-only
   * wrappers), reports healthy with no consumers; a bus that runs consumers overrides it.
   */
  default BusHealth health() {
    return BusHealth.healthy(0);
  }

  /** Stops every subscription of this bus and releases its resources. */
  @Override
  void close();
}
