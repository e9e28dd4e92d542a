package io.cqrs.example.bank.readmodel;

import java.util.List;
import java.util.Optional;

/**
 * Where a read model keeps its views: one entry per event stream, holding the view and the version
 * of the stream's last applied event together, so that both change in one atomic write (the rule of
 * {@link io.cqrs.Projection}).
 *
 * <p>Implementations are thread-safe; several processes may share a store that lives on a server,
 * and {@link #replace} decides between them.
 *
 * @param <V> the view type, a record
 */
public interface ViewStore<V> {

  /**
   * One stored entry.
   *
   * @param view the view, never {@code null}
   * @param version the version of the last event of the stream applied to it
   * @param cas the store's token for the entry's current state, passed back to {@link #replace}
   */
  record Stored<V>(V view, long version, long cas) {}

  /** The entry of a stream, if it has one. */
  Optional<Stored<V>> get(String id);

  /**
   * Writes a stream's view and version, if its entry is still {@code current}.
   *
   * @param current the entry as read, or {@code null} to create it
   * @return whether the write happened; {@code false} if another writer changed the entry first
   */
  boolean replace(String id, Stored<V> current, V view, long version);

  /** Every entry, in no particular order. */
  List<Stored<V>> all();

  /**
   * Every entry that can be read, and the ids of those that cannot (a document someone corrupted):
   * one bad entry must not hide all the others. A store whose entries are always readable lists
   * none.
   */
  default Listing<V> list() {
    return new Listing<>(all(), List.of());
  }

  /**
   * What {@link #list()} found.
   *
   * @param entries the readable entries, in no particular order
   * @param unreadable the ids of the entries that could not be read
   */
  record Listing<V>(List<Stored<V>> entries, List<String> unreadable) {
    public Listing {
      entries = List.copyOf(entries);
      unreadable = List.copyOf(unreadable);
    }
  }

  /** Removes every entry, before a rebuild. */
  void clear();
}
