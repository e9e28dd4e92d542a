package io.cqrs.example.bank.readmodel;

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

  /** View stores in this process's memory: each call opens an empty one. */
  static ViewStores inMemory() {
    return new ViewStores() {
      @Override
      public <V> ViewStore<V> open(String model, Class<V> viewType) {
        return new InMemoryViewStore<>();
      }
    };
  }
}
