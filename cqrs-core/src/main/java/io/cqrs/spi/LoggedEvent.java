package io.cqrs.spi;

import io.cqrs.VersionedEvent;
import java.util.Objects;

/**
 * One entry of the integration log.
 *
 * @param position the entry's position: positive, increasing in commit order, not necessarily
 *     contiguous
 * @param event the committed event
 * @param published whether the event is known to have reached the event bus (see {@link
 *     RelayStore}); always {@code false} for stores that do not track publication, and {@code true}
 *     for integration events outside any stream, which are never relayed
 */
public record LoggedEvent(long position, VersionedEvent event, boolean published) {
  public LoggedEvent {
    Objects.requireNonNull(event, "event");
    if (position < 1) {
      throw new IllegalArgumentException("position must be >= 1, was " + position);
    }
  }

  /** An entry of a store that does not track publication. */
  public LoggedEvent(long position, VersionedEvent event) {
    this(position, event, false);
  }
}
