package io.cqrs;

import java.util.Objects;

/**
 * Decides after each save whether to snapshot the aggregate, and after each load that replayed
 * events (not one served by the cache) whether a snapshot is missing: a load from {@code
 * previousVersion} (its snapshot's version, or 0 without a usable one) to {@code newVersion} that
 * the policy would have snapshotted as a save writes one, so a stream written before the policy, or
 * whose snapshot failed or is of another shape, is replayed whole once, not on every load. A failed
 * snapshot write never fails the save or the load.
 */
@FunctionalInterface
public interface SnapshotPolicy {

  /**
   * @param aggregate the aggregate just saved, or just loaded
   * @param previousVersion its version before the save (for a load: the version the replay started
   *     from)
   * @param newVersion its version after the save or the load
   */
  boolean shouldSnapshot(EventSourceBased aggregate, long previousVersion, long newVersion);

  /** Never snapshot; loading always replays the whole stream, and no snapshot is read. */
  static SnapshotPolicy never() {
    return Never.INSTANCE;
  }

  /** Snapshot whenever a save crosses a multiple of {@code events} versions. */
  static SnapshotPolicy every(long events) {
    if (events < 1) {
      throw new IllegalArgumentException("events must be >= 1, was " + events);
    }
    return (aggregate, previous, current) -> previous / events != current / events;
  }

  /** Snapshot when the aggregate's {@link EventSourceBased#suggestSnapshot()} says so. */
  static SnapshotPolicy whenSuggested() {
    return (aggregate, previous, current) -> aggregate.suggestSnapshot();
  }

  /** Snapshot when this policy or the other says so. */
  default SnapshotPolicy or(SnapshotPolicy other) {
    Objects.requireNonNull(other, "other");
    return (aggregate, previous, current) ->
        shouldSnapshot(aggregate, previous, current)
            || other.shouldSnapshot(aggregate, previous, current);
  }

  /** The policy that never snapshots; a distinct type so repositories can skip snapshot reads. */
  enum Never implements SnapshotPolicy {
    INSTANCE;

    @Override
    public boolean shouldSnapshot(EventSourceBased aggregate, long previous, long current) {
      return false;
    }
  }
}
