package io.cqrs;

import java.util.List;

/**
 * Hands a handler the events of a stored event one at a time: the event itself, or, for one that
 * upcasters split ({@link SplitEvent}), each part in order (none of a dropped one). The stored
 * event counts as handled (acked, checkpointed) only once all of its parts were; a failure at any
 * part retries the stored event, so every part is handled at least once and in order.
 */
final class PartsHandler implements VersionedEventHandler {
  private final VersionedEventHandler handler;

  private PartsHandler(VersionedEventHandler handler) {
    this.handler = handler;
  }

  /** {@code handler}, given each part of a split stored event. */
  static VersionedEventHandler of(VersionedEventHandler handler) {
    return handler instanceof PartsHandler ? handler : new PartsHandler(handler);
  }

  @Override
  public void handle(VersionedEvent event) throws Exception {
    if (!event.isSplit()) {
      handler.handle(event);
      return;
    }
    List<VersionedEvent> parts = event.parts();
    for (int i = 0, n = parts.size(); i < n; i++) {
      handler.handle(parts.get(i));
    }
  }
}
