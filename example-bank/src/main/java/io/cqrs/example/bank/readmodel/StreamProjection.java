package io.cqrs.example.bank.readmodel;

import io.cqrs.Projection;
import io.cqrs.VersionedEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A read model that keeps one immutable view per event stream, folded from the stream's events in
 * version order, and that stays right under at-least-once delivery, across processes.
 *
 * <p>It is a {@link Projection}, run by a tracking event processor ({@link BankReadModels}): each
 * view is stored in a {@link ViewStore} together with the version of the last event applied to it,
 * and both change in one atomic write; if another process wrote the entry first, {@link #apply}
 * reads it again and finds the event applied. The processor's version gate skips duplicates and
 * fills holes from the store, so redelivery after a crash, processes sharing segments and a second
 * processor replaying into the same views all end in the same views. Events of streams the read
 * model does not follow ({@link #follows}) never reach it.
 *
 * <p>Thread-safe.
 *
 * @param <V> the view type, a record
 */
public abstract class StreamProjection<V> implements Projection {
  private final ViewStore<V> views;

  /**
   * The entry {@link #appliedVersion} read last on this thread, which the version gate asks just
   * before it applies the stream's next event (under its lock for the stream): {@link #applyAll}
   * starts from it instead of reading the entry again, one read less per event. Only a hint: used
   * only for the same stream at the version before the one applied, and the write is conditional on
   * the entry's CAS, so an entry another process changed since fails the write and is read again.
   */
  private final ThreadLocal<LastRead<V>> lastRead = new ThreadLocal<>();

  private record LastRead<V>(String id, Optional<ViewStore.Stored<V>> entry) {}

  /**
   * @param views where the views and applied versions are kept
   */
  protected StreamProjection(ViewStore<V> views) {
    this.views = Objects.requireNonNull(views, "views");
  }

  /** Whether this read model follows the stream of {@code event}. */
  @Override
  public abstract boolean follows(VersionedEvent event);

  /**
   * The index keys a view is filed under (none by default): {@link #page(Set, String, int)} lists
   * the views of a key by reading its index, not every view. A key is filed before the first write
   * of a view that has it, so an index never misses a view; a view that loses a key stays filed
   * under it, and readers skip it.
   */
  protected Set<String> keys(V view) {
    return Set.of();
  }

  /**
   * The next view of a stream.
   *
   * @param current the view so far, or {@code null} before the stream's first event
   * @param event the stream's next event
   * @return the new view, or {@code current} if the event does not change it
   */
  protected abstract V evolve(V current, VersionedEvent event);

  @Override
  public final long appliedVersion(String streamId) {
    Optional<ViewStore.Stored<V>> entry = views.get(streamId);
    lastRead.set(new LastRead<>(streamId, entry));
    return entry.map(ViewStore.Stored::version).orElse(0L);
  }

  @Override
  public final void apply(VersionedEvent event) {
    applyAll(event.sourceId(), event.version(), List.of(event));
  }

  /**
   * Applies the parts of a split stored event (or one event, or none for a dropped one) in one
   * write of the view and the version they share: a crash leaves all of them applied or none.
   */
  @Override
  public final void applyAll(String id, long version, List<VersionedEvent> events) {
    LastRead<V> hint = lastRead(id, version);
    while (true) {
      Optional<ViewStore.Stored<V>> current = hint != null ? hint.entry() : views.get(id);
      hint = null; // a failed write reads the entry again
      long applied = current.map(ViewStore.Stored::version).orElse(0L);
      if (version <= applied) {
        return; // another process applied it between the projector's check and now
      }
      if (version != applied + 1) {
        throw new IllegalStateException(
            "Event "
                + version
                + " of '"
                + id
                + "' given to "
                + getClass().getSimpleName()
                + " at version "
                + applied);
      }
      V before = current.map(ViewStore.Stored::view).orElse(null);
      V next = before;
      for (VersionedEvent event : events) {
        next = evolve(next, event);
      }
      fileKeys(id, before, next);
      if (views.replace(id, current.orElse(null), next, version)) {
        return;
      }
    }
  }

  /** Files {@code id} under each key {@code next} has and {@code before} had not. */
  private void fileKeys(String id, V before, V next) {
    if (next == null) {
      return;
    }
    Set<String> had = before == null ? Set.of() : keys(before);
    for (String key : keys(next)) {
      if (!had.contains(key)) {
        views.index(key, id);
      }
    }
  }

  /**
   * The entry {@link #appliedVersion} just read for {@code id}, if it stands just before {@code
   * version} (else null: read it); forgets it either way.
   */
  private LastRead<V> lastRead(String id, long version) {
    LastRead<V> last = lastRead.get();
    if (last == null) {
      return null;
    }
    lastRead.remove();
    long applied = last.entry().map(ViewStore.Stored::version).orElse(0L);
    return last.id().equals(id) && applied == version - 1 ? last : null;
  }

  /** The entry of a stream (view and applied version, read together), if it has one. */
  public Optional<ViewStore.Stored<V>> entry(String id) {
    return views.get(Objects.requireNonNull(id, "id"));
  }

  /** The view of a stream, if it has one. */
  public Optional<V> find(String id) {
    return views.get(Objects.requireNonNull(id, "id")).map(ViewStore.Stored::view);
  }

  /** Every view, in the given order. */
  public List<V> all(Comparator<? super V> order) {
    return views.all().stream().map(ViewStore.Stored::view).sorted(order).toList();
  }

  /** The version of the last event applied to a stream's view; 0 if none. */
  public long version(String id) {
    // Not through appliedVersion: a reader's thread (an HTTP request) has no event to apply next,
    // so it keeps no last read.
    return views.get(Objects.requireNonNull(id, "id")).map(ViewStore.Stored::version).orElse(0L);
  }

  /**
   * One page of views, in the order of their stream ids: at most {@code limit} of those whose ids
   * come after {@code after}, of every view ({@code keys} {@code null}) or of the views filed under
   * any of {@code keys} that still have it. Reads the index (or the indexes of the keys) and the
   * page's entries only, so its cost follows the page and the keys' indexes, not the whole model.
   *
   * @param after the last stream id of the page before, or {@code null} for the first page
   * @param limit the most entries to read, at least 1
   */
  public Page<V> page(Set<String> keys, String after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    TreeSet<String> ids = new TreeSet<>(keys == null ? views.ids() : views.indexed(keys));
    NavigableSet<String> rest = after == null ? ids : ids.tailSet(after, false);
    List<String> chosen = new ArrayList<>(Math.min(limit, rest.size()));
    for (String id : rest) {
      if (chosen.size() == limit) {
        break;
      }
      chosen.add(id);
    }
    String next = rest.size() > chosen.size() ? chosen.get(chosen.size() - 1) : null;
    ViewStore.Listing<V> listing = views.get(chosen);
    List<ViewStore.Stored<V>> entries = new ArrayList<>(listing.entries().size());
    for (ViewStore.Stored<V> entry : listing.entries()) {
      if (keys == null || !Collections.disjoint(keys, keys(entry.view()))) {
        entries.add(entry);
      }
    }
    return new Page<>(entries, listing.unreadable().stream().sorted().toList(), next);
  }

  /**
   * The ids filed under {@code key}, read from its index alone (no view is read): it may list an id
   * whose view is not written yet or no longer has the key.
   */
  protected Set<String> indexed(String key) {
    return views.indexed(Objects.requireNonNull(key, "key"));
  }

  /**
   * The views filed under {@code key} that have it now, read in one pass over its index (an index
   * may list an id whose view is not written yet, or no longer has the key: those are left out).
   */
  protected List<V> filed(String key) {
    Objects.requireNonNull(key, "key");
    List<V> found = new ArrayList<>();
    for (ViewStore.Stored<V> entry : views.get(views.indexed(key)).entries()) {
      if (keys(entry.view()).contains(key)) {
        found.add(entry.view());
      }
    }
    return found;
  }

  /**
   * What {@link #page} found.
   *
   * @param entries the page's readable views, each with the version it reflects, by stream id
   * @param unreadable the ids of the page's streams whose view could not be read
   * @param next the {@code after} of the next page, or {@code null} if this is the last
   */
  public record Page<V>(List<ViewStore.Stored<V>> entries, List<String> unreadable, String next) {
    public Page {
      entries = List.copyOf(entries);
      unreadable = List.copyOf(unreadable);
    }
  }

  /** How many views there are. */
  public int size() {
    return views.all().size();
  }

  /**
   * Forgets every view, before a rebuild in place, and then the indexes of the keys its views had
   * (an index of a key no view has now, such as an email address changed long ago, stays: readers
   * skip what it lists). Views first: a clear that fails half way leaves indexes listing ids, which
   * readers skip, never a view its index lost. Only while nothing writes views (the processors
   * feeding this read model paused or stopped, in every process): an event applied meanwhile could
   * be filed under an index dropped after it.
   */
  public final void clear() {
    Set<String> keys = new HashSet<>();
    for (ViewStore.Stored<V> entry : views.list().entries()) {
      keys.addAll(keys(entry.view()));
    }
    views.clear();
    keys.forEach(views::dropIndex);
  }
}
