package io.cqrs.example.bank.readmodel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ViewStore} in this process's memory: a map of immutable entries, each replaced as a
 * whole, so view and version always change together.
 *
 * @param <V> the view type
 */
public final class InMemoryViewStore<V> implements ViewStore<V> {
  private final Map<String, Stored<V>> entries = new ConcurrentHashMap<>();

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
  public List<Stored<V>> all() {
    return new ArrayList<>(entries.values());
  }

  @Override
  public void clear() {
    entries.clear();
  }
}
