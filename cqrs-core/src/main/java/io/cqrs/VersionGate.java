package io.cqrs;

import io.cqrs.spi.EventStreamRepository;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The version gate in front of a {@link Projection}: each stream's events are applied exactly once
 * and in version order, whatever order and however often they arrive. A version the projection has
 * applied is skipped; the next one is applied; one beyond the next means something was missed (a
 * bus reordered or lost it, or a processor was reset past the projection's state), so the missing
 * events are read from the store and applied first. Events outside streams (version 0) and of
 * streams the projection does not {@linkplain Projection#follows follow} are not applied. A stored
 * event that upcasters split or dropped reaches the projection as one group ({@link
 * Projection#applyAll}; none for a drop): versions here are always stored versions. Events of one
 * stream go through a lock striped by stream id, so several threads may feed one gate.
 */
final class VersionGate {
  private static final int STRIPES = 64;

  private final Projection projection;
  private final EventStreamRepository store;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

  VersionGate(Projection projection, EventStreamRepository store) {
    this.projection = Objects.requireNonNull(projection, "projection");
    this.store = Objects.requireNonNull(store, "store");
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  /**
   * Whether {@link #handle} would consider {@code event} at all: a stream event of a stream the
   * projection follows. A processor asks before its interceptors run, so that metrics and traces
   * count what the read model looked at, not every event of the log.
   */
  boolean wants(VersionedEvent event) {
    return event.version() != 0 && follows(event);
  }

  /**
   * {@code handler}, called only for the events {@code wants} accepts; the others are done. An
   * event {@code wants} fails on goes to the handler, whose gate fails on it again inside the
   * interceptors, so that metrics and traces see the failure and retries and dead letters follow.
   */
  static VersionedEventHandler only(
      Predicate<VersionedEvent> wants, VersionedEventHandler handler) {
    return event -> {
      boolean wanted;
      try {
        wanted = wants.test(event);
      } catch (RuntimeException e) {
        wanted = true;
      }
      if (wanted) {
        handler.handle(event);
      }
    };
  }

  /**
   * Applies one event, exactly once in effect.
   *
   * @return how many events were applied: 0 for a duplicate, more than 1 where a hole was filled
   */
  int handle(VersionedEvent event) throws Exception {
    Objects.requireNonNull(event, "event");
    if (event.version() == 0 || !follows(event)) {
      return 0;
    }
    String streamId = event.sourceId();
    ReentrantLock lock = locks[Math.floorMod(streamId.hashCode(), STRIPES)];
    lock.lock();
    try {
      long applied = projection.appliedVersion(streamId);
      if (event.version() <= applied) {
        return 0;
      }
      if (event.version() == applied + 1) {
        apply(event);
        return 1;
      }
      return fillHole(streamId, applied, event.version());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether the projection follows the event's stream: for a split, whether it follows a part; a
   * dropped event goes to every projection.
   */
  private boolean follows(VersionedEvent event) {
    if (!event.isSplit()) {
      return projection.follows(event);
    }
    List<VersionedEvent> parts = event.parts();
    for (VersionedEvent part : parts) {
      if (projection.follows(part)) {
        return true;
      }
    }
    // A dropped event: the projection follows the stream if it follows its stored type, which it
    // cannot be asked about; it records the version, so that the next event is the next version.
    return parts.isEmpty();
  }

  /**
   * Applies one stored event: the event, or what upcasters made of it (the parts of a split, none
   * for a dropped one) as one group. Versions compared here are stored versions, never parts.
   */
  private void apply(VersionedEvent event) throws Exception {
    if (!event.isSplit()) {
      projection.apply(event);
      return;
    }
    projection.applyAll(event.sourceId(), event.version(), event.parts());
  }

  private int fillHole(String streamId, long applied, long upTo) throws Exception {
    int count = 0;
    for (VersionedEvent missing : store.load(streamId, applied + 1)) {
      if (missing.version() > upTo) {
        break;
      }
      apply(missing);
      count++;
    }
    if (count != upTo - applied) {
      throw new IllegalStateException(
          "Stream '"
              + streamId
              + "' has no events "
              + (applied + 1)
              + ".."
              + upTo
              + " in the store although version "
              + upTo
              + " was delivered");
    }
    return count;
  }
}
