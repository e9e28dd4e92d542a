package io.cqrs.memory;

import io.cqrs.VersionedEvent;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * One stream's events in {@link InMemoryEventStreamRepository}: appended under the owner's lock and
 * read as immutable views that share the array instead of copying it.
 *
 * <p>Sharing is safe because no slot below {@link #size()} is ever written again: appends write
 * past the end, and growing copies into a new array, leaving the old one to the views that hold it.
 * A view taken under the lock sees the slots written before it was taken (the lock orders them), so
 * loading a long stream costs no copy, which {@code RehydrateBenchmark} showed to be half the time
 * of rebuilding an aggregate from 100,000 events.
 *
 * <p>Not thread-safe by itself: callers hold the lock of this object for every method.
 */
final class AppendOnlyEvents {
  private VersionedEvent[] events = new VersionedEvent[8];
  private int size;

  /** How many events the stream holds: its version. */
  int size() {
    return size;
  }

  /** Appends events, which the caller has checked to be the next versions. */
  void append(List<VersionedEvent> more) {
    int needed = size + more.size();
    if (needed > events.length) {
      events = Arrays.copyOf(events, Math.max(needed, events.length * 2));
    }
    for (VersionedEvent event : more) {
      events[size++] = event;
    }
  }

  /** An immutable view of the events from index {@code from} (0-based) to the current end. */
  List<VersionedEvent> view(int from) {
    return new View(events, from, size);
  }

  /** A read-only window on an array whose slots in the window never change. */
  private static final class View extends AbstractList<VersionedEvent> implements RandomAccess {
    private final VersionedEvent[] events;
    private final int from;
    private final int size;

    View(VersionedEvent[] events, int from, int to) {
      this.events = events;
      this.from = from;
      this.size = to - from;
    }

    @Override
    public VersionedEvent get(int index) {
      return events[from + Objects.checkIndex(index, size)];
    }

    @Override
    public int size() {
      return size;
    }
  }
}
