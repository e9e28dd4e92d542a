package io.cqrs.testing;

import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.util.List;

/**
 * An event bus that fails every publish, like a process killed between commit and publish: a
 * repository that publishes to it commits its events but leaves them unmarked, so that only an
 * {@link io.cqrs.EventRelay} publishes them. It cannot be subscribed to.
 */
public final class DeadEventBus implements EventBus {

  /**
   * @throws TransientCqrsException always
   */
  @Override
  public void publish(List<VersionedEvent> events) {
    throw new TransientCqrsException("process killed before publishing");
  }

  /**
   * @throws UnsupportedOperationException always
   */
  @Override
  public Subscription subscribe(
      String subscription, int listeners, VersionedEventHandler consumer) {
    throw new UnsupportedOperationException("A dead bus delivers nothing");
  }

  @Override
  public void close() {}
}
