package io.cqrs.example.bank.readmodel;

import com.couchbase.client.java.Collection;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import io.cqrs.ObjectMappers;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * Read-model views in a Couchbase collection, one document per stream under {@code
 * <namespace>::rm::<model>::v::<id>}, holding the view and the stream's applied version, written
 * with CAS (see {@link CouchbaseViewStore}). Processes that open the same namespace share the
 * views.
 */
public final class CouchbaseViewStores implements ViewStores {
  private final Collection collection;
  private final int chunk;
  private final String namespace;
  // Amounts as strings: a JSON number would lose their scale (100.00 read back as 100.0).
  private final ObjectMapper json =
      ObjectMappers.create()
          .registerModule(
              new SimpleModule().addSerializer(BigDecimal.class, ToStringSerializer.instance));

  /**
   * @param collection where the documents are
   * @param namespace the start of every key, e.g. the application's key prefix
   */
  public CouchbaseViewStores(Collection collection, String namespace) {
    this(collection, namespace, CouchbaseViewStore.INDEX_CHUNK);
  }

  /**
   * @param chunk the most ids an index document holds (tests use small ones)
   */
  CouchbaseViewStores(Collection collection, String namespace, int chunk) {
    this.chunk = chunk;
    this.collection = Objects.requireNonNull(collection, "collection");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    if (namespace.isBlank() || namespace.contains("::")) {
      throw new IllegalArgumentException(
          "namespace must be non-blank and free of '::', was '" + namespace + "'");
    }
  }

  /** The start of every key of these views. */
  public String namespace() {
    return namespace;
  }

  @Override
  public <V> ViewStore<V> open(String model, Class<V> viewType) {
    return new CouchbaseViewStore<>(
        collection,
        namespace + "::rm::" + Objects.requireNonNull(model, "model"),
        viewType,
        json,
        chunk);
  }
}
