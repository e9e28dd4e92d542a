package io.cqrs.example.bank.readmodel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens the {@link ViewStore}s of the bank's read models: in memory, or in Couchbase ({@link
 * CouchbaseViewStores}).
 */
@FunctionalInterface
public interface ViewStores {

  /**
   * The store of one read model's views.
   *
   * @param model the read model's name, e.g. {@code accounts}
   * @param viewType the view's class, for stores that serialize views
   */
  <V> ViewStore<V> open(String model, Class<V> viewType);

  /**
   * View stores in this process's memory, empty at first; opening a model again gives the same
   * store, so banks built on one in-memory infrastructure share views as they share the store's
   * processor checkpoints.
   */
  static ViewStores inMemory() {
    Map<String, ViewStore<?>> stores = new ConcurrentHashMap<>();
    return new ViewStores() {
      @Override
      @SuppressWarnings("unchecked")
      public <V> ViewStore<V> open(String model, Class<V> viewType) {
        return (ViewStore<V>) stores.computeIfAbsent(model, m -> new InMemoryViewStore<V>());
      }
    };
  }
}
