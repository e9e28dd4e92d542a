package io.cqrs.memory;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The integration log of {@link InMemoryEventStreamRepository}, with its index by correlation id:
 * appended by one writer at a time (the caller holds the store's log lock) and read by anyone
 * without a lock; {@link #byCorrelationId} alone wants the log lock.
 *
 * <p>Entries live in fixed-size chunks that are never moved or rewritten once filled in, and the
 * count of readable entries is published through a volatile write after their slots are written, so
 * a reader that reads the count first sees every slot below it. Reads therefore never wait for
 * writers, nor writers for readers: the relay walks the log while commits go on (a shared lock made
 * each of them wait for the other at every batch, see {@code PublicationBenchmark}). Chunks are
 * small (256 entries), so that a store holding a few events costs a few kilobytes, not the 32 KB a
 * chunk of 4,096 did: {@code CommandPathBenchmark} opens a fresh store for every 100 commands.
 *
 * <p>Each entry keeps its event and the stream it belongs to, whose publication marks say whether
 * the entry is published; integration events outside any stream keep no stream and are always
 * published. The correlation index is a chain through the log: each entry keeps the position of the
 * previous entry of the same correlation id, and an open-addressing table keeps each correlation
 * id's last position. Indexing an event thus allocates nothing but the table's growth, where a map
 * of lists cost a map node, a list and its array per correlation id (13% of a command's allocation
 * in issue 14's profile, and 28% of its time).
 */
final class IntegrationLog {
  private static final int CHUNK_BITS = 8;
  private static final int CHUNK_SIZE = 1 << CHUNK_BITS;
  private static final int CHUNK_MASK = CHUNK_SIZE - 1;

  /** Grown by copying (the directory only); chunks never move. Volatile to publish new ones. */
  private volatile Chunk[] chunks = {new Chunk()};

  /** How many entries are readable; written after their slots. */
  private volatile int size;

  /** Each correlation id's last position; written and read under the log lock. */
  private final StringIntTable heads = new StringIntTable(16);

  /**
   * One chunk's slots: an entry's event, its stream (null outside streams), and the position of the
   * previous entry of its correlation id (0: none).
   */
  private static final class Chunk {
    final VersionedEvent[] events = new VersionedEvent[CHUNK_SIZE];
    final AppendOnlyEvents[] streams = new AppendOnlyEvents[CHUNK_SIZE];
    final int[] previousOfCorrelation = new int[CHUNK_SIZE];
  }

  /**
   * Appends events of one stream, or integration events if {@code stream} is null, and indexes them
   * by correlation id. The caller holds the log lock.
   */
  void append(List<VersionedEvent> more, AppendOnlyEvents stream) {
    int next = size;
    Chunk[] directory = chunks;
    for (int i = 0, n = more.size(); i < n; i++) {
      VersionedEvent event = more.get(i);
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
      next++; // the entry's position
      slots.previousOfCorrelation[(next - 1) & CHUNK_MASK] = heads.put(event.correlationId(), next);
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

  /**
   * Every entry of correlation id {@code correlationId}, in log order. The caller holds the lock.
   */
  List<VersionedEvent> byCorrelationId(String correlationId) {
    int last = heads.get(correlationId);
    if (last == 0) {
      return List.of();
    }
    Chunk[] directory = chunks;
    int count = 0;
    for (int position = last; position != 0; position = previous(directory, position)) {
      count++;
    }
    VersionedEvent[] events = new VersionedEvent[count];
    for (int position = last; position != 0; position = previous(directory, position)) {
      events[--count] =
          directory[(position - 1) >>> CHUNK_BITS].events[(position - 1) & CHUNK_MASK];
    }
    return List.of(events);
  }

  private static int previous(Chunk[] directory, int position) {
    return directory[(position - 1) >>> CHUNK_BITS]
        .previousOfCorrelation[(position - 1) & CHUNK_MASK];
  }
}
