package io.cqrs.example.bank.readmodel;

import io.cqrs.Projection;
import io.cqrs.VersionedEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A read model in memory with one immutable view per event stream, folded from the stream's events.
 * Fed through a {@link io.cqrs.Projector}, which hands it each stream's events exactly once and in
 * version order however the bus delivers them (skipping duplicates, reading missed events from the
 * store).
 *
 * <p>The projection keeps the framework's rule: a view and the version it reflects are one map
 * entry, written in one step, so they can never drift apart. A projection must be fed every event
 * type of the streams it follows, so that the versions it sees are contiguous; {@link #evolve}
 * returns the view unchanged for the events it does not show.
 *
 * <p>Thread-safe: the projector applies one stream's events one at a time; views are read without
 * locking.
 *
 * @param <V> the view type, best a record
 */
public abstract class InMemoryProjection<V> implements Projection {
  private final Map<String, Versioned<V>> views = new ConcurrentHashMap<>();

  /** A view and the version of the last event folded into it. */
  private record Versioned<V>(V view, long version) {}

  /**
   * The next view of a stream.
   *
   * @param current the view so far, or {@code null} before the stream's first event
   * @param event the stream's next event
   * @return the new view, or {@code current} if the event does not change it; never {@code null}
   */
  protected abstract V evolve(V current, VersionedEvent event);

  @Override
  public final long appliedVersion(String streamId) {
    Versioned<V> entry = views.get(Objects.requireNonNull(streamId, "streamId"));
    return entry == null ? 0 : entry.version();
  }

  @Override
  public final void apply(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    Versioned<V> current = views.get(event.sourceId());
    V next = evolve(current == null ? null : current.view(), event);
    views.put(
        event.sourceId(),
        new Versioned<>(Objects.requireNonNull(next, "evolve returned null"), event.version()));
  }

  /** The view of a stream, if it has one. */
  public Optional<V> find(String id) {
    return Optional.ofNullable(views.get(Objects.requireNonNull(id, "id"))).map(Versioned::view);
  }

  /** Every view, in the given order. */
  public List<V> all(Comparator<? super V> order) {
    List<V> all = new ArrayList<>(views.size());
    views.values().forEach(entry -> all.add(entry.view()));
    all.sort(order);
    return all;
  }
}
