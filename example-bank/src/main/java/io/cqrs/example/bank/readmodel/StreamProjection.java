package io.cqrs.example.bank.readmodel;

import io.cqrs.Projection;
import io.cqrs.Projector;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A read model that keeps one immutable view per event stream, folded from the stream's events in
 * version order, and that stays right under at-least-once delivery, across processes.
 *
 * <p>It is a {@link Projection}: each view is stored in a {@link ViewStore} together with the
 * version of the last event applied to it, and both change in one atomic write; if another process
 * wrote the entry first, {@link #apply} reads it again and finds the event applied. {@link #handle}
 * feeds it through a {@link Projector}, which skips duplicates and fills holes from the store, so
 * delivery order, duplicates, competing workers and a rebuild running beside live delivery all end
 * in the same views. Events of streams the read model does not follow ({@link #follows}) are
 * ignored.
 *
 * <p>Thread-safe.
 *
 * @param <V> the view type, a record
 */
public abstract class StreamProjection<V> implements Projection {
  private final ViewStore<V> views;
  private final Projector projector;

  /**
   * @param store where missed events are read from
   * @param views where the views and applied versions are kept
   */
  protected StreamProjection(EventStreamRepository store, ViewStore<V> views) {
    this.views = Objects.requireNonNull(views, "views");
    this.projector = new Projector(this, Objects.requireNonNull(store, "store"));
  }

  /** Whether this read model follows the stream of {@code event}. */
  protected abstract boolean follows(VersionedEvent event);

  /**
   * The next view of a stream.
   *
   * @param current the view so far, or {@code null} before the stream's first event
   * @param event the stream's next event
   * @return the new view, or {@code current} if the event does not change it
   */
  protected abstract V evolve(V current, VersionedEvent event);

  /**
   * Applies one delivered event exactly once in effect; usable directly as an event handler.
   *
   * @return how many events were applied (0 for a duplicate or an event of another stream)
   */
  public final int handle(VersionedEvent event) throws Exception {
    Objects.requireNonNull(event, "event");
    return follows(event) ? projector.handle(event) : 0;
  }

  @Override
  public final long appliedVersion(String streamId) {
    return views.get(streamId).map(ViewStore.Stored::version).orElse(0L);
  }

  @Override
  public final void apply(VersionedEvent event) {
    String id = event.sourceId();
    while (true) {
      Optional<ViewStore.Stored<V>> current = views.get(id);
      long applied = current.map(ViewStore.Stored::version).orElse(0L);
      if (event.version() <= applied) {
        return; // another process applied it between the projector's check and now
      }
      if (event.version() != applied + 1) {
        throw new IllegalStateException(
            "Event "
                + event.version()
                + " of '"
                + id
                + "' given to "
                + getClass().getSimpleName()
                + " at version "
                + applied);
      }
      V next = evolve(current.map(ViewStore.Stored::view).orElse(null), event);
      if (views.replace(id, current.orElse(null), next, event.version())) {
        return;
      }
    }
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
    return appliedVersion(Objects.requireNonNull(id, "id"));
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
