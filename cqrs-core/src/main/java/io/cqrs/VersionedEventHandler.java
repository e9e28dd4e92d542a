package io.cqrs;

import io.cqrs.spi.EventBus;

/**
 * Handles one committed event: in a read model or process manager registered with {@link
 * VersionedEventDispatchManager} or {@link Cqrs#onEvent}, or as the consumer of an {@link EventBus}
 * subscription. Throwing asks the bus to deliver the event again (and, after its retries, to
 * dead-letter it).
 */
@FunctionalInterface
public interface VersionedEventHandler {
  void handle(VersionedEvent event) throws Exception;
}
