package io.cqrs;

/** Handles one committed event in a read model or process manager. */
@FunctionalInterface
public interface VersionedEventHandler {
  void handle(VersionedEvent event) throws Exception;
}
