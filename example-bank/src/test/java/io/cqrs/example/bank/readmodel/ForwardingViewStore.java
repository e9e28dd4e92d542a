package io.cqrs.example.bank.readmodel;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link ViewStore} that hands every call to another: the tests' view stores that count or fail
 * override only the calls they watch.
 *
 * @param <V> the view type
 */
public class ForwardingViewStore<V> implements ViewStore<V> {
  private final ViewStore<V> delegate;

  public ForwardingViewStore(ViewStore<V> delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public Optional<Stored<V>> get(String id) {
    return delegate.get(id);
  }

  @Override
  public boolean replace(String id, Stored<V> current, V view, long version) {
    return delegate.replace(id, current, view, version);
  }

  @Override
  public void index(String key, String id) {
    delegate.index(key, id);
  }

  @Override
  public Set<String> ids() {
    return delegate.ids();
  }

  @Override
  public Set<String> indexed(String key) {
    return delegate.indexed(key);
  }

  @Override
  public Set<String> indexed(Collection<String> keys) {
    return delegate.indexed(keys);
  }

  @Override
  public Listing<V> get(Collection<String> ids) {
    return delegate.get(ids);
  }

  @Override
  public List<Stored<V>> all() {
    return delegate.all();
  }

  @Override
  public Listing<V> list() {
    return delegate.list();
  }

  @Override
  public void dropIndex(String key) {
    delegate.dropIndex(key);
  }

  @Override
  public void clear() {
    delegate.clear();
  }
}
