package io.cqrs.example.bank.readmodel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ViewStore} in this process's memory: a map of immutable entries, each replaced as a
 * whole, so view and version always change together, and a set of ids per index key.
 *
 * @param <V> the view type
 */
public final class InMemoryViewStore<V> implements ViewStore<V> {
  private final Map<String, Stored<V>> entries = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> indexes = new ConcurrentHashMap<>();

  @Override
  public Optional<Stored<V>> get(String id) {
    return Optional.ofNullable(entries.get(Objects.requireNonNull(id, "id")));
  }

  @Override
  public boolean replace(String id, Stored<V> current, V view, long version) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(view, "view");
    // The version doubles as the token: entries of one stream only move forward.
    Stored<V> next = new Stored<>(view, version, version);
    if (current == null) {
      return entries.putIfAbsent(id, next) == null;
    }
    return entries.replace(id, current, next);
  }

  @Override
  public void index(String key, String id) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(id, "id");
    indexes.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(id);
  }

  @Override
  public Set<String> ids() {
    return Set.copyOf(entries.keySet());
  }

  @Override
  public Set<String> indexed(String key) {
    Set<String> ids = indexes.get(Objects.requireNonNull(key, "key"));
    return ids == null ? Set.of() : Set.copyOf(ids);
  }

  @Override
  public Listing<V> get(Collection<String> ids) {
    List<Stored<V>> found = new ArrayList<>(ids.size());
    for (String id : ids) {
      Stored<V> entry = entries.get(Objects.requireNonNull(id, "id"));
      if (entry != null) {
        found.add(entry);
      }
    }
    return new Listing<>(found, List.of());
  }

  @Override
  public void dropIndex(String key) {
    indexes.remove(Objects.requireNonNull(key, "key"));
  }

  @Override
  public void clear() {
    entries.clear();
  }
}
