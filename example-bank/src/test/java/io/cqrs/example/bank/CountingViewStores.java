package io.cqrs.example.bank;

import io.cqrs.example.bank.readmodel.ForwardingViewStore;
import io.cqrs.example.bank.readmodel.ViewStore;
import io.cqrs.example.bank.readmodel.ViewStores;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * View stores that count, per read model, the writes that took effect. Every event a read model
 * applies is exactly one successful CAS write of its view document, so after the read models have
 * caught up, a model that applied each event once has as many writes as its streams have events; a
 * duplicate applied twice would show as one write too many.
 */
final class CountingViewStores implements ViewStores {
  private final ViewStores views;
  private final Map<String, AtomicLong> writes = new ConcurrentHashMap<>();

  CountingViewStores(ViewStores views) {
    this.views = views;
  }

  @Override
  public <V> ViewStore<V> open(String model, Class<V> viewType) {
    ViewStore<V> store = views.open(model, viewType);
    AtomicLong count = writes.computeIfAbsent(model, m -> new AtomicLong());
    return new ForwardingViewStore<>(store) {
      @Override
      public boolean replace(String id, Stored<V> current, V view, long version) {
        boolean written = super.replace(id, current, view, version);
        if (written) {
          count.incrementAndGet();
        }
        return written;
      }
    };
  }

  /** How many writes of {@code model}'s views took effect. */
  long writes(String model) {
    AtomicLong count = writes.get(model);
    return count == null ? 0 : count.get();
  }
}
