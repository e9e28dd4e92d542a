package io.cqrs.example.bank.readmodel;

import io.cqrs.SerializationException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where a read model keeps its views: one entry per event stream, holding the view and the version
 * of the stream's last applied event together, so that both change in one atomic write (the rule of
 * {@link io.cqrs.Projection}).
 *
 * <p>Besides the entries a store keeps indexes: of every id ({@link #ids()}), and of the ids filed
 * under a key ({@link #index}), such as an account's owner, so that a reader asking for one owner's
 * views reads those, not every view. An index is written before the view it lists and never loses
 * an id, so it may list ids whose view is not written yet, or no longer has the key: readers skip
 * those.
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

  /**
   * Files {@code id} under {@code key}, so that {@link #indexed(String) indexed(key)} lists it from
   * now on; filing it again changes nothing a reader sees ({@code indexed} is a set), though a
   * store may keep the id twice.
   *
   * @throws io.cqrs.TransientCqrsException if the store cannot be reached
   */
  void index(String key, String id);

  /** Every id that has an entry or is about to, in no particular order. */
  Set<String> ids();

  /** The ids filed under {@code key} with {@link #index}, in no particular order. */
  Set<String> indexed(String key);

  /** The ids filed under any of {@code keys}: their union. */
  default Set<String> indexed(Collection<String> keys) {
    Set<String> ids = new HashSet<>();
    for (String key : keys) {
      ids.addAll(indexed(Objects.requireNonNull(key, "key")));
    }
    return ids;
  }

  /**
   * The entries of {@code ids} that can be read, in the order of {@code ids}, and the ids whose
   * entry cannot be (a document someone corrupted): one bad entry must not hide the others. Ids
   * without an entry are left out. A store whose entries are always readable lists none unreadable.
   */
  Listing<V> get(Collection<String> ids);

  /**
   * Every entry, in no particular order.
   *
   * @throws SerializationException if an entry cannot be read
   */
  default List<Stored<V>> all() {
    Listing<V> listing = list();
    if (!listing.unreadable().isEmpty()) {
      throw new SerializationException(
          listing.unreadable().size()
              + " read-model entries cannot be read, among them '"
              + listing.unreadable().get(0)
              + "'");
    }
    return listing.entries();
  }

  /**
   * Every entry that can be read, and the ids of those that cannot (see {@link #get(Collection)}).
   */
  default Listing<V> list() {
    return get(ids());
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

  /** Removes the index of {@code key}; the entries it listed stay. */
  void dropIndex(String key);

  /** Removes every entry and the index of every id, before a rebuild (not the keyed indexes). */
  void clear();
}
