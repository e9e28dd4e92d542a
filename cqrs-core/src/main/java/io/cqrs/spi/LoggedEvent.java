package io.cqrs.spi;

import io.cqrs.VersionedEvent;
import java.util.Objects;

/**
 * One entry of the integration log.
 *
 * @param position the entry's position: positive, increasing in commit order, not necessarily
 *     contiguous
 * @param event the committed event
 */
public record LoggedEvent(long position, VersionedEvent event) {
  public LoggedEvent {
    Objects.requireNonNull(event, "event");
    if (position < 1) {
      throw new IllegalArgumentException("position must be >= 1, was " + position);
    }
  }
}
