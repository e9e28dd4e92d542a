package io.cqrs.example.bank.readmodel;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
  public List<Stored<V>> all() {
    return delegate.all();
  }

  @Override
  public Listing<V> list() {
    return delegate.list();
  }

  @Override
  public void clear() {
    delegate.clear();
  }
}
