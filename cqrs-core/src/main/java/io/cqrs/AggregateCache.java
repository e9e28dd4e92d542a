package io.cqrs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cqrs.spi.Snapshot;
import java.util.Objects;

/**
 * A bounded, per-process cache of the latest committed state of aggregates, for an {@link
 * EventSourcingRepository} ({@link EventSourcingRepository.Builder#cache}).
 *
 * <p>A load of a cached aggregate restores its state from memory and asks the store only for the
 * events after the cached version, one read of the stream's head when no other process wrote since;
 * a save puts the committed state back; a save that lost to another writer keeps the entry (a state
 * the stream had; the next load reads what came after it) and any other failed save evicts it. A
 * command handler's load can leave that read for later ({@link
 * CommandDispatchManager.Builder#deferCacheChecks}), except from an entry another writer was lately
 * found to write after. Entries hold the state serialized, as a snapshot is ({@link Snapshot};
 * UTF-8 bytes here), never the aggregate object a command handler changes, so an aggregate changed
 * by a command that then fails leaves nothing behind in the cache.
 *
 * <p>Correct under any number of processes and threads: an entry is a state the stream had at its
 * version when this process committed or read it, and every load reads what was committed after it,
 * so an entry that another process made stale costs the events since, never correctness. It assumes
 * what the store promises: streams are only appended to, and an acknowledged commit stays. A stream
 * deleted or rewritten behind the framework's back is served from the cache until its entry is
 * evicted or {@link #invalidate}d. On Couchbase with durability {@code NONE} (the default), a
 * failover can lose a commit the store had acknowledged; a process that cached the state after it
 * would go on from that state while the stream goes on without it. Use a durability level of at
 * least {@code MAJORITY} with a cache where that matters, or no cache.
 *
 * <p>The state is cached in its snapshot form (the aggregate's non-transient fields as JSON, see
 * {@link SnapshotPolicy}), whatever the snapshot policy: cache only aggregates whose state survives
 * that round trip (transient fields are lost; fields typed {@code Object} come back as maps). An
 * aggregate class that cannot be written or read back so is logged once and not cached from then
 * on. Thread-safe (Caffeine); bounded by the number of aggregates, least recently used first out.
 */
public final class AggregateCache {
  private final Cache<String, Entry> entries;

  private AggregateCache(long maximumSize) {
    this.entries = Caffeine.newBuilder().maximumSize(maximumSize).recordStats().build();
  }

  /**
   * A cache of at most {@code aggregates} aggregates.
   *
   * @throws IllegalArgumentException if {@code aggregates} is less than 1
   */
  public static AggregateCache maximumSize(long aggregates) {
    if (aggregates < 1) {
      throw new IllegalArgumentException("aggregates must be >= 1, was " + aggregates);
    }
    return new AggregateCache(aggregates);
  }

  /** Forgets one aggregate, for a stream changed behind the framework's back. */
  public void invalidate(String aggregateId) {
    entries.invalidate(aggregateId);
  }

  /** Forgets every aggregate. */
  public void invalidateAll() {
    entries.invalidateAll();
  }

  /** Loads served from the cache and not, evictions and the entries held now. */
  public Stats stats() {
    entries.cleanUp(); // evictions run in the background; count the pending ones now
    var stats = entries.stats();
    return new Stats(
        stats.hitCount(), stats.missCount(), stats.evictionCount(), entries.estimatedSize());
  }

  /** The cached state of the aggregate, or {@code null}; counts a hit or a miss. */
  Entry get(String aggregateId) {
    return entries.getIfPresent(aggregateId);
  }

  /** Keeps {@code entry} unless the cache holds a later version already. */
  void put(Entry entry) {
    entries
        .asMap()
        .merge(
            entry.aggregateId(),
            entry,
            (held, offered) -> offered.version() >= held.version() ? offered : held);
  }

  /**
   * Keeps {@code entry}, the state a save of this process committed, unless the cache holds a later
   * version already; it is as {@linkplain Entry#contended contended} as the entry it follows.
   */
  void putSaved(Entry entry) {
    entries
        .asMap()
        .merge(
            entry.aggregateId(),
            entry,
            (held, offered) ->
                offered.version() >= held.version()
                    ? offered.withContention(held.contention())
                    : held);
  }

  /**
   * Marks the aggregate's entry, if any, {@linkplain Entry#contended contended}: its next {@value
   * #QUIET_LOOKS} loads look at the stream at once. A new entry, so that a look that began before
   * this mark cannot count against it ({@link #quietLook}).
   */
  void contended(String aggregateId) {
    entries
        .asMap()
        .computeIfPresent(
            aggregateId,
            (id, held) ->
                new Entry(
                    held.aggregateId(),
                    held.version(),
                    held.aggregateType(),
                    held.state(),
                    held.tick(),
                    QUIET_LOOKS));
  }

  /**
   * A look at the stream from {@code entry} found nothing new: one quiet look fewer owed before its
   * loads may defer their look again, if the cache still holds that very entry (a mark set since,
   * by another conflict, or a newer entry stays as it is).
   */
  void quietLook(Entry entry) {
    entries
        .asMap()
        .computeIfPresent(
            entry.aggregateId(),
            (id, held) ->
                held == entry && held.contention() > 0
                    ? held.withContention(held.contention() - 1)
                    : held);
  }

  /**
   * How many looks in a row must find nothing new after another writer was found writing an
   * aggregate before its loads may defer their look again: an aggregate two processes keep writing
   * in turn would otherwise conflict at every other command.
   */
  static final int QUIET_LOOKS = 8;

  /**
   * One aggregate's committed state: its fields as a snapshot writes them, in UTF-8 JSON (bytes,
   * which Jackson writes and parses faster than a string), at {@code version}, made at {@code tick}
   * of {@link CommandLookups#tick}, after every commit up to {@code version} was committed. Never
   * changed once made; the array is not handed out.
   *
   * <p>{@code contention}: how many more looks at the stream must find nothing new before a load
   * from the entry may leave its look for later ({@link
   * CommandDispatchManager.Builder#deferCacheChecks}); {@value #QUIET_LOOKS} once a look found
   * another writer's commits after what this process held (or a save of this process lost to one),
   * 0 for an entry no one was found to contend.
   */
  record Entry(
      String aggregateId,
      long version,
      String aggregateType,
      byte[] state,
      long tick,
      int contention) {
    Entry {
      Objects.requireNonNull(aggregateId, "aggregateId");
      Objects.requireNonNull(aggregateType, "aggregateType");
      Objects.requireNonNull(state, "state");
    }

    /** Whether a load from this entry must look at the stream at once. */
    boolean contended() {
      return contention > 0;
    }

    Entry withContention(int contention) {
      return contention == this.contention
          ? this
          : new Entry(aggregateId, version, aggregateType, state, tick, contention);
    }
  }

  /**
   * What the cache has done so far.
   *
   * @param hits loads that found the aggregate in the cache
   * @param misses loads that did not
   * @param evictions entries dropped to keep the cache within its size
   * @param size entries held now (an estimate, as Caffeine gives it)
   */
  public record Stats(long hits, long misses, long evictions, long size) {
    /** Hits out of all loads, or 0 before the first load. */
    public double hitRatio() {
      long loads = hits + misses;
      return loads == 0 ? 0 : (double) hits / loads;
    }
  }
}
