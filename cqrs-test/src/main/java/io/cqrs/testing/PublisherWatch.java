package io.cqrs.testing;

import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watches several publishers (typically competing {@link io.cqrs.EventRelay}s) through the buses it
 * {@linkplain #watch wraps}: which of them published, and the most that were inside {@code publish}
 * at the same time, which must stay 1 for relays sharing a lease.
 *
 * <p>It can also {@linkplain #stall stall} one publisher, as a process that hangs or is killed
 * would: its next publish blocks, without publishing, until {@link #releaseStalled()} (then it
 * throws), so its relay stops renewing its lease and another must take over. Thread-safe.
 */
public final class PublisherWatch {
  private final AtomicInteger publishing = new AtomicInteger();
  private final AtomicInteger mostAtOnce = new AtomicInteger();
  private final Set<String> publishers = ConcurrentHashMap.newKeySet();
  private final Map<String, CountDownLatch> stalled = new ConcurrentHashMap<>();
  private final AtomicInteger stalledCalls = new AtomicInteger();

  /**
   * A bus that publishes to {@code target} under this watch, as {@code owner}. It cannot be
   * subscribed to, and closing it leaves {@code target} open.
   */
  public EventBus watch(String owner, EventBus target) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(target, "target");
    return new EventBus() {
      @Override
      public void publish(List<VersionedEvent> events) {
        CountDownLatch stall = stalled.get(owner);
        if (stall != null) {
          stalledCalls.incrementAndGet();
          awaitQuietly(stall);
          throw new TransientCqrsException("publisher '" + owner + "' was stopped");
        }
        mostAtOnce.accumulateAndGet(publishing.incrementAndGet(), Math::max);
        try {
          publishers.add(owner);
          target.publish(events);
        } finally {
          publishing.decrementAndGet();
        }
      }

      @Override
      public Subscription subscribe(
          String subscription, int listeners, VersionedEventHandler consumer) {
        throw new UnsupportedOperationException("A watched bus only publishes");
      }

      @Override
      public void close() {}
    };
  }

  /** The owners that have published at least once. */
  public Set<String> publishers() {
    return Set.copyOf(publishers);
  }

  /** The most publishers that were publishing at the same time. */
  public int mostAtOnce() {
    return mostAtOnce.get();
  }

  /** Makes {@code owner}'s publishes from now on block without publishing. */
  public void stall(String owner) {
    stalled.putIfAbsent(Objects.requireNonNull(owner, "owner"), new CountDownLatch(1));
  }

  /** How many publishes of stalled owners were held back. */
  public int stalledCalls() {
    return stalledCalls.get();
  }

  /** Lets the held-back publishes return (with an exception, publishing nothing). */
  public void releaseStalled() {
    stalled.values().forEach(CountDownLatch::countDown);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
