package io.cqrs.testing;

import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A bus that publishes to another, then parks the publisher after its first publish until {@link
 * #release()}: a publisher (typically an {@link io.cqrs.EventRelay}) that stalls between publishing
 * and what it does next, as in a long GC pause, for as long as the test likes. Later publishes pass
 * straight through. It only publishes.
 */
public final class ParkingBus implements EventBus {
  private final EventBus target;
  private final CountDownLatch parked = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  /** Publishes to {@code target}. */
  public ParkingBus(EventBus target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  @Override
  public void publish(List<VersionedEvent> events) {
    target.publish(events);
    if (parked.getCount() == 0) {
      return;
    }
    parked.countDown();
    try {
      if (!released.await(Await.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("ParkingBus was never released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while parked", e);
    }
  }

  /** Waits until a publisher has published and parked; fails after {@code timeout}. */
  public void awaitParked(Duration timeout) throws InterruptedException {
    if (!parked.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("Nobody published through the ParkingBus within " + timeout);
    }
  }

  /** Lets the parked publisher go on. */
  public void release() {
    released.countDown();
  }

  @Override
  public Subscription subscribe(String subscription, int listeners, VersionedEventHandler handler) {
    throw new UnsupportedOperationException("A ParkingBus only publishes");
  }

  @Override
  public void close() {
    release();
  }
}
