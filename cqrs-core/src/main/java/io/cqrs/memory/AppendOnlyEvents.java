package io.cqrs.memory;

import io.cqrs.VersionedEvent;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.BitSet;
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
 * <p>It also holds the stream's publication marks (see {@link io.cqrs.spi.RelayStore}): the fast
 * path marks each commit right after it, usually in order (publishing asynchronously, or with the
 * relay, out of order now and then), so a watermark below which every version is marked says it all
 * without an object per stream or per mark; marks that arrive out of order wait in a bit set until
 * the versions below them are marked.
 *
 * <p>Not thread-safe by itself: callers hold the lock of this object for every method except {@link
 * #isPublished}, which takes it itself when the watermark does not answer.
 */
final class AppendOnlyEvents {
  private VersionedEvent[] events = new VersionedEvent[4];
  private int size;

  /** Versions 1 to this are all marked published; volatile so the log reads it without the lock. */
  private volatile int publishedThrough;

  /** Marked versions above {@link #publishedThrough}; null while there are none. */
  private BitSet publishedAbove;

  /** How many events the stream holds: its version. */
  int size() {
    return size;
  }

  /** The aggregate type the stream was created for; null if none was named. */
  private String aggregateType;

  /** The aggregate type recorded when the stream was created; null if none. */
  String aggregateType() {
    return aggregateType;
  }

  /** Records the stream's aggregate type; called by the save that creates the stream. */
  void recordType(String type) {
    this.aggregateType = type;
  }

  /**
   * The id of the first command whose effect this stream holds; null while there is none. Most
   * streams in a test or a benchmark see one command, so the table waits for a second.
   */
  private String firstCommand;

  /** Ids of the commands after the first whose effects this stream holds; null while none. */
  private StringIntTable moreCommands;

  /** Whether a commit of this stream was the effect of command {@code commandId}. */
  boolean holdsCommand(String commandId) {
    return commandId.equals(firstCommand)
        || (moreCommands != null && moreCommands.get(commandId) != 0);
  }

  /**
   * Appends events, which the caller has checked to be the next versions, as the effect of command
   * {@code commandId} (or of none, if null).
   */
  void append(List<VersionedEvent> more, String commandId) {
    if (commandId != null) {
      if (firstCommand == null) {
        firstCommand = commandId;
      } else if (!commandId.equals(firstCommand)) {
        if (moreCommands == null) {
          moreCommands = new StringIntTable(4);
        }
        moreCommands.put(commandId, 1);
      }
    }
    int needed = size + more.size();
    if (needed > events.length) {
      events = Arrays.copyOf(events, Math.max(needed, events.length * 2));
    }
    for (int i = 0, n = more.size(); i < n; i++) {
      events[size++] = more.get(i);
    }
  }

  /**
   * Marks versions {@code from..to} published; versions beyond the stream's end are ignored, since
   * they are not events yet.
   */
  void markPublished(int from, int to) {
    int last = Math.min(to, size);
    if (last < from) {
      return;
    }
    int through = publishedThrough;
    if (from > through + 1) {
      if (publishedAbove == null) {
        publishedAbove = new BitSet();
      }
      publishedAbove.set(from, last + 1);
      return;
    }
    through = Math.max(through, last);
    if (publishedAbove != null) {
      if (publishedAbove.get(through + 1)) {
        through = publishedAbove.nextClearBit(through + 1) - 1;
      }
      publishedAbove.clear(0, through + 1);
      if (publishedAbove.isEmpty()) {
        publishedAbove = null;
      }
    }
    publishedThrough = through;
  }

  /** Whether {@code version} is marked published; callers need not hold the lock. */
  boolean isPublished(long version) {
    if (version <= publishedThrough) {
      return true;
    }
    synchronized (this) {
      // The watermark again: a mark may have folded the bit set into it since the read above.
      return version <= publishedThrough
          || (publishedAbove != null && publishedAbove.get((int) version));
    }
  }

  /**
   * An immutable view of at most {@code max} events from index {@code from} (0-based), ending at
   * the current end at the latest.
   */
  List<VersionedEvent> view(int from, int max) {
    return new View(events, from, from + Math.min(max, size - from));
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
