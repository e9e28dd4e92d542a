package io.cqrs;

import io.cqrs.spi.EventStreamRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a command being handled on this thread has proven before its handler ran, so that its save
 * need not prove it again in the store ({@link EventStreamRepository#saveChecked}).
 *
 * <p>{@link CommandDispatchManager} with {@code deduplicate(true)} looks the command's effects up
 * before its handler runs, in its error log's store; if it finds none, no commit of the command's
 * correlation that the store had claimed before the look-up was sent is the command's effect (a
 * store indexes a commit before it claims it). With {@code lookupProvesEffects(true)} the user
 * vouches that every delivery of a message id carries the same correlation id, so that this covers
 * every effect of the command; only then does a lookup prove anything (one is entered with {@code
 * deferCacheChecks} too, with nothing to prove). An {@link AggregateCache} entry holds a state
 * whose commits were all claimed before the entry was made. Both events take a tick of one
 * process-wide clock: an entry ticked before the look-up holds only commits the look-up covered. A
 * repository that loads such an entry and finds nothing committed after it (its {@link
 * EventStreamRepository#loadStreamAfter}), or leaves that for later (below), can tell its store,
 * when it saves the command's effect right after that version: the version ends a commit, and no
 * commit up to it is the command's effect. The store's exclusive commit still refuses a save whose
 * version another writer took in the meantime, whatever its command.
 *
 * <p>With {@code deferCacheChecks(true)} a handler's loads from the cache, up to its first save, do
 * not ask the store whether anything was committed after the cached version; they are entered here
 * as unchecked instead. A save's exclusive commit refuses a stale version by itself, so a save of
 * the aggregate right after the version it was loaded at is its own check; every other unchecked
 * load is checked before that save is sent ({@link #beforeSave}), and the loads of a handler that
 * saved nothing are checked before its outcome counts ({@link #checkUnchecked}). A stale one is a
 * conflict: the attempt is tried again, on the stream's state.
 *
 * <p>Thread-confined: a lookup is entered on the thread that runs the handler and left when it
 * returns; a handler that saves on another thread saves unchecked, as without a lookup.
 */
final class CommandLookups {
  private static final AtomicLong CLOCK = new AtomicLong();
  private static final ThreadLocal<Lookup> CURRENT = new ThreadLocal<>();

  private CommandLookups() {}

  /** A tick of the process-wide clock: later than every tick taken before it, in any thread. */
  static long tick() {
    return CLOCK.incrementAndGet();
  }

  /**
   * A look-up that found no effect of command {@code commandId} in {@code store}, sent after tick
   * {@code sentAfter}, and the aggregates loaded from the cache since.
   */
  static final class Lookup {
    private final String commandId;
    private final String correlationId;
    private final EventStreamRepository store; // null: the look-up proves nothing
    private final long sentAfter;
    private final boolean defersChecks;
    private final Lookup outer;
    private List<Loaded> loaded;
    private boolean saved; // a save was sent in this handling: later loads are checked at once

    private Lookup(
        String commandId,
        String correlationId,
        EventStreamRepository store,
        long sentAfter,
        boolean defersChecks,
        Lookup outer) {
      this.commandId = commandId;
      this.correlationId = correlationId;
      this.store = store;
      this.sentAfter = sentAfter;
      this.defersChecks = defersChecks;
      this.outer = outer;
    }
  }

  /**
   * An aggregate of {@code repository} loaded at {@code version} from a cache entry ticked at
   * {@code tick}; {@code unchecked} while nobody asked the store whether the stream moved on since.
   */
  private static final class Loaded {
    private final EventSourcingRepository repository;
    private final String aggregateId;
    private final long version;
    private final long tick;
    private boolean unchecked;

    private Loaded(
        EventSourcingRepository repository,
        String aggregateId,
        long version,
        long tick,
        boolean unchecked) {
      this.repository = repository;
      this.aggregateId = aggregateId;
      this.version = version;
      this.tick = tick;
      this.unchecked = unchecked;
    }

    /** Whether a save by {@code repository} of {@code aggregateId} after {@code version} is its. */
    private boolean savedBy(EventSourcingRepository repository, String aggregateId, long version) {
      return this.repository == repository
          && this.aggregateId.equals(aggregateId)
          && this.version == version;
    }
  }

  /**
   * Enters the handling of {@code commandId} of correlation {@code correlationId}, whose look-up in
   * {@code store}, sent after tick {@code sentAfter}, found no effect; {@link #leave} with what it
   * returns, in a {@code finally}.
   */
  static Lookup enter(
      String commandId, String correlationId, EventStreamRepository store, long sentAfter) {
    return enter(commandId, correlationId, store, sentAfter, false);
  }

  /**
   * Enters the handling of {@code commandId}: with a {@code store} as {@link #enter(String, String,
   * EventStreamRepository, long)} does, and, if {@code defersChecks}, letting its cached loads up
   * to its first save go unchecked ({@code store} may then be null: the look-up proves nothing).
   */
  static Lookup enter(
      String commandId,
      String correlationId,
      EventStreamRepository store,
      long sentAfter,
      boolean defersChecks) {
    Lookup lookup =
        new Lookup(commandId, correlationId, store, sentAfter, defersChecks, CURRENT.get());
    CURRENT.set(lookup);
    return lookup;
  }

  /**
   * Whether a load from the cache on this thread may leave its check for later: the handling it is
   * part of defers checks and has sent no save yet (nor has any handling it runs inside).
   */
  static boolean mayDeferCheck() {
    Lookup lookup = CURRENT.get();
    if (lookup == null || !lookup.defersChecks) {
      return false;
    }
    for (Lookup l = lookup; l != null; l = l.outer) {
      if (l.saved) {
        return false;
      }
    }
    return true;
  }

  /** Leaves {@code lookup}: the thread is back in what it handled before, if anything. */
  static void leave(Lookup lookup) {
    if (lookup.outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(lookup.outer);
    }
  }

  /**
   * {@code repository} loaded {@code aggregateId} at {@code version} from a cache entry ticked at
   * {@code tick}, and its store had nothing after that version, or, if {@code unchecked} (only
   * where {@link #mayDeferCheck}), was not asked; a no-op outside a lookup.
   */
  static void loadedFromCache(
      EventSourcingRepository repository,
      String aggregateId,
      long version,
      long tick,
      boolean unchecked) {
    Lookup lookup = CURRENT.get();
    if (lookup == null) {
      return;
    }
    if (lookup.loaded == null) {
      lookup.loaded = new ArrayList<>(2);
    }
    lookup.loaded.add(new Loaded(repository, aggregateId, version, tick, unchecked));
  }

  /**
   * Before {@code repository} sends a save of {@code aggregateId}'s events after {@code
   * expectedVersion}: checks every unchecked load of this handling, and of those it runs inside,
   * but the one this save checks itself (the same aggregate at that version: its commit is refused
   * if the stream moved on; it counts as checked once the commit succeeded, {@link #committed}), so
   * that nothing is written on a state the stream has left. From now on loads are checked at once.
   * A no-op outside a lookup.
   *
   * @throws ConcurrencyException if one of them is stale (its cache entry is kept, marked
   *     contended, so that the retry's load reads what came after it)
   */
  static void beforeSave(
      EventSourcingRepository repository, String aggregateId, long expectedVersion) {
    for (Lookup lookup = CURRENT.get(); lookup != null; lookup = lookup.outer) {
      lookup.saved = true;
      if (lookup.loaded == null) {
        continue;
      }
      for (Loaded loaded : lookup.loaded) {
        if (loaded.unchecked && !loaded.savedBy(repository, aggregateId, expectedVersion)) {
          check(loaded);
        }
      }
    }
  }

  /**
   * {@code repository} committed {@code aggregateId}'s events right after {@code expectedVersion}:
   * the loads of it at that version were the stream's latest state, checked by the commit. Only a
   * commit that succeeded checks them: one refused as stale leaves them unchecked, so that a
   * handler that goes on (catching the conflict) is checked before anything else counts.
   */
  static void committed(
      EventSourcingRepository repository, String aggregateId, long expectedVersion) {
    for (Lookup lookup = CURRENT.get(); lookup != null; lookup = lookup.outer) {
      if (lookup.loaded == null) {
        continue;
      }
      for (Loaded loaded : lookup.loaded) {
        if (loaded.unchecked && loaded.savedBy(repository, aggregateId, expectedVersion)) {
          loaded.unchecked = false;
        }
      }
    }
  }

  /**
   * Before a command is dispatched on this thread, from a command handler if one runs here: the
   * nested command is an effect of what that handler loaded, as a save is, so every unchecked load
   * of the handlings running here is checked first and loads from now on are checked at once. A
   * stale load then fails the dispatch with a conflict that the handler's own retry resolves (its
   * load reads the stream), instead of failing the nested command's save, whose retries would find
   * the same stale load each time, or leaving the nested handling's loads unchecked where its
   * manager does not defer checks. A no-op outside a lookup.
   *
   * @throws ConcurrencyException if one of them is stale
   */
  static void beforeDispatch() {
    if (CURRENT.get() != null) {
      beforeSave(null, null, -1);
    }
  }

  /**
   * Checks the loads of {@code lookup} still unchecked: before the outcome of a handling that saved
   * nothing counts (a rejection, say, decided on what the cache held).
   *
   * @throws ConcurrencyException if one of them is stale (its cache entry is kept, marked
   *     contended)
   */
  static void checkUnchecked(Lookup lookup) {
    if (lookup.loaded == null) {
      return;
    }
    for (Loaded loaded : lookup.loaded) {
      if (loaded.unchecked) {
        check(loaded);
      }
    }
  }

  private static void check(Loaded loaded) {
    loaded.repository.checkCached(loaded.aggregateId, loaded.version);
    loaded.unchecked = false;
  }

  /**
   * Whether a save by {@code repository} into {@code store} of {@code aggregateId}'s events after
   * {@code expectedVersion}, as the effect of {@code commandId} in correlation {@code
   * correlationId}, is proven not to repeat an effect of the command and to start right after a
   * commit: the command's look-up in this store (which reads the correlation's index, so the events
   * must be of the correlation it looked in) found none, and the aggregate was loaded at {@code
   * expectedVersion} from a cache entry ticked before it.
   */
  static boolean proven(
      EventSourcingRepository repository,
      EventStreamRepository store,
      String aggregateId,
      long expectedVersion,
      String commandId,
      String correlationId) {
    Lookup lookup = CURRENT.get();
    if (lookup == null
        || lookup.loaded == null
        || lookup.store != store
        || !lookup.commandId.equals(commandId)
        || !lookup.correlationId.equals(correlationId)) {
      return false;
    }
    for (Loaded loaded : lookup.loaded) {
      if (loaded.repository == repository
          && loaded.aggregateId.equals(aggregateId)
          && loaded.version == expectedVersion
          && loaded.tick < lookup.sentAfter) {
        return true;
      }
    }
    return false;
  }
}
