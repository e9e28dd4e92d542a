package io.cqrs;

/** Receives one event from an {@link EventBus}; throwing asks the bus to retry it. */
@FunctionalInterface
public interface EventConsumer {
  void accept(VersionedEvent event) throws Exception;
}
