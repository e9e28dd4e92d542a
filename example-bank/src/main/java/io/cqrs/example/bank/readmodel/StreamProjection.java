package io.cqrs.example.bank.readmodel;

import io.cqrs.Projection;
import io.cqrs.VersionedEvent;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
      V next = current.map(ViewStore.Stored::view).orElse(null);
      for (VersionedEvent event : events) {
        next = evolve(next, event);
      }
      if (views.replace(id, current.orElse(null), next, version)) {
        return;
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

  /**
   * Every view that can be read, in the given order, and the ids of those that cannot (see {@link
   * ViewStore#list()}).
   */
  public Listing<V> list(Comparator<? super V> order) {
    ViewStore.Listing<V> listing = views.list();
    Comparator<ViewStore.Stored<V>> byView = Comparator.comparing(ViewStore.Stored::view, order);
    return new Listing<>(listing.entries().stream().sorted(byView).toList(), listing.unreadable());
  }

  /**
   * What {@link #list} found.
   *
   * @param entries the readable views, each with the version it reflects (read together), in order
   * @param unreadable the ids of the streams whose view could not be read
   */
  public record Listing<V>(List<ViewStore.Stored<V>> entries, List<String> unreadable) {}

  /** The version of the last event applied to a stream's view; 0 if none. */
  public long version(String id) {
    // Not through appliedVersion: a reader's thread (an HTTP request) has no event to apply next,
    // so it keeps no last read.
    return views.get(Objects.requireNonNull(id, "id")).map(ViewStore.Stored::version).orElse(0L);
  }

  /** How many views there are. */
  public int size() {
    return views.all().size();
  }

  /** Forgets every view, before a rebuild. */
  public final void clear() {
    views.clear();
  }
}
