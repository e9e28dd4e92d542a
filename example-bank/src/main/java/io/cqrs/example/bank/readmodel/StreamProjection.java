package io.cqrs.example.bank.readmodel;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read model that keeps one immutable view per event stream, folded from the stream's events in
 * version order, and that stays right under at-least-once delivery.
 *
 * <p>It remembers the last version it applied per stream: an event at or below it is a duplicate
 * and is ignored; an event beyond the next version means earlier ones have not arrived (yet), so it
 * reads those from the store, which has every committed event in order, and applies them first.
 * Delivery order, duplicates and a rebuild running beside live delivery therefore all end in the
 * same views. A projection must receive every event type of the streams it follows, so that the
 * versions it sees are contiguous; {@link #evolve} returns the view unchanged for those it does not
 * show.
 *
 * <p>Thread-safe: events are applied one at a time; views are read without locking.
 *
 * @param <V> the view type, best a record
 */
public abstract class StreamProjection<V> {
  private static final Logger log = LoggerFactory.getLogger(StreamProjection.class);

  private final EventStreamRepository store;
  private final Map<String, V> views = new ConcurrentHashMap<>();
  private final Map<String, Long> versions = new ConcurrentHashMap<>();

  /**
   * @param store where missed events are read from
   */
  protected StreamProjection(EventStreamRepository store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * The next view of a stream.
   *
   * @param current the view so far, or {@code null} before the stream's first event
   * @param event the stream's next event
   * @return the new view, or {@code current} if the event does not change it
   */
  protected abstract V evolve(V current, VersionedEvent event);

  /** Applies one event of a followed stream; usable directly as a {@code VersionedEventHandler}. */
  public final synchronized void apply(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    String id = event.sourceId();
    long applied = versions.getOrDefault(id, 0L);
    if (event.version() <= applied) {
      return;
    }
    if (event.version() > applied + 1) {
      for (VersionedEvent missed : store.load(id, applied + 1)) {
        if (missed.version() >= event.version()) {
          break;
        }
        fold(missed);
      }
      if (versions.getOrDefault(id, 0L) != event.version() - 1) {
        log.warn(
            "{} is missing events of '{}' before version {}; applying it anyway",
            getClass().getSimpleName(),
            id,
            event.version());
      }
    }
    fold(event);
  }

  private void fold(VersionedEvent event) {
    V next = evolve(views.get(event.sourceId()), event);
    if (next != null) {
      views.put(event.sourceId(), next);
    }
    versions.put(event.sourceId(), event.version());
  }

  /** The view of a stream, if it has one. */
  public Optional<V> find(String id) {
    return Optional.ofNullable(views.get(Objects.requireNonNull(id, "id")));
  }

  /** Every view, in the given order. */
  public List<V> all(Comparator<? super V> order) {
    List<V> all = new ArrayList<>(views.values());
    all.sort(order);
    return all;
  }

  /** The version of the last event applied to a stream's view; 0 if none. */
  public long version(String id) {
    return versions.getOrDefault(Objects.requireNonNull(id, "id"), 0L);
  }

  /** How many views there are. */
  public int size() {
    return views.size();
  }

  /** Forgets every view, before a rebuild. */
  public final synchronized void clear() {
    views.clear();
    versions.clear();
  }
}
