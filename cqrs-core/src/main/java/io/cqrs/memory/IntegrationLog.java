package io.cqrs.memory;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The integration log of {@link InMemoryEventStreamRepository}: appended by one writer at a time
 * (the caller holds the store's log lock) and read by anyone without a lock.
 *
 * <p>Entries live in fixed-size chunks that are never moved or rewritten once filled in, and the
 * count of readable entries is published through a volatile write after their slots are written, so
 * a reader that reads the count first sees every slot below it. Reads therefore never wait for
 * writers, nor writers for readers: the relay walks the log while commits go on (a shared lock made
 * each of them wait for the other at every batch, see {@code PublicationBenchmark}).
 *
 * <p>Each entry keeps its event and the stream it belongs to, whose publication marks say whether
 * the entry is published; integration events outside any stream keep no stream and are always
 * published. No object is kept per entry beyond the event itself.
 */
final class IntegrationLog {
  private static final int CHUNK_BITS = 12;
  private static final int CHUNK_SIZE = 1 << CHUNK_BITS;
  private static final int CHUNK_MASK = CHUNK_SIZE - 1;

  /** Grown by copying (the directory only); chunks never move. Volatile to publish new ones. */
  private volatile Chunk[] chunks = {new Chunk()};

  /** How many entries are readable; written after their slots. */
  private volatile int size;

  /** One chunk's slots: an entry's event and its stream (null outside streams). */
  private static final class Chunk {
    final VersionedEvent[] events = new VersionedEvent[CHUNK_SIZE];
    final AppendOnlyEvents[] streams = new AppendOnlyEvents[CHUNK_SIZE];
  }

  /**
   * Appends events of one stream, or integration events if {@code stream} is null. The caller holds
   * the log lock.
   */
  void append(List<VersionedEvent> more, AppendOnlyEvents stream) {
    int next = size;
    Chunk[] directory = chunks;
    for (VersionedEvent event : more) {
      int chunk = next >>> CHUNK_BITS;
      if (chunk == directory.length) {
        directory = Arrays.copyOf(directory, directory.length * 2);
      }
      if (directory[chunk] == null) {
        directory[chunk] = new Chunk();
        // Re-published so that readers which see the new size also see the new chunk.
        chunks = directory;
      }
      Chunk slots = directory[chunk];
      slots.events[next & CHUNK_MASK] = event;
      slots.streams[next & CHUNK_MASK] = stream;
      next++;
    }
    size = next;
  }

  /** How many entries are readable: the position of the last one, 0 if none. */
  int size() {
    return size;
  }

  /**
   * Reads up to {@code max} entries from {@code fromPosition} (1-based) without locking.
   *
   * @return the entries, each published if its stream marked it or it is outside any stream
   */
  List<LoggedEvent> read(long fromPosition, int max) {
    int readable = size;
    if (fromPosition > readable) {
      return List.of();
    }
    Chunk[] directory = chunks;
    int from = (int) fromPosition - 1;
    int to = (int) Math.min(readable, (long) from + max);
    List<LoggedEvent> entries = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      Chunk slots = directory[i >>> CHUNK_BITS];
      VersionedEvent event = slots.events[i & CHUNK_MASK];
      AppendOnlyEvents stream = slots.streams[i & CHUNK_MASK];
      boolean published = stream == null || stream.isPublished(event.version());
      entries.add(new LoggedEvent(i + 1L, event, published));
    }
    return entries;
  }
}
