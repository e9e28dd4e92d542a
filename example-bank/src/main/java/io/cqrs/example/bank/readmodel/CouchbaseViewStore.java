package io.cqrs.example.bank.readmodel;

import static com.couchbase.client.java.kv.GetOptions.getOptions;
import static com.couchbase.client.java.kv.InsertOptions.insertOptions;
import static com.couchbase.client.java.kv.ReplaceOptions.replaceOptions;

import com.couchbase.client.core.error.CasMismatchException;
import com.couchbase.client.core.error.CouchbaseException;
import com.couchbase.client.core.error.DocumentExistsException;
import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.GetResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ViewStore} in Couchbase, key-value operations only: document {@code
 * <keyPrefix>::v::<id>} is {@code {"version": n, "view": {...}}}, inserted for a stream's first
 * event and then replaced with the CAS it was read with, so view and version change in one atomic
 * write and, of several processes applying the same event, exactly one succeeds.
 *
 * <p>Couchbase has no listing by key without a query service, so an index document {@code
 * <keyPrefix>::index} lists every id; an id is added (CAS loop, idempotent) before its first view
 * is written, so the index never misses a view; {@link #all()} skips ids whose view is not written
 * yet. Driver failures become {@link TransientCqrsException}: the bus redelivers the event.
 *
 * @param <V> the view type, a record Jackson can read and write
 */
final class CouchbaseViewStore<V> implements ViewStore<V> {
  private static final Logger log = LoggerFactory.getLogger(CouchbaseViewStore.class);
  private static final int INDEX_ATTEMPTS = 100;

  private final Collection collection;
  private final String keyPrefix;
  private final Class<V> viewType;
  private final ObjectMapper json;

  CouchbaseViewStore(
      Collection collection, String keyPrefix, Class<V> viewType, ObjectMapper json) {
    this.collection = collection;
    this.keyPrefix = keyPrefix;
    this.viewType = viewType;
    this.json = json;
  }

  @Override
  public Optional<Stored<V>> get(String id) {
    String key = key(Objects.requireNonNull(id, "id"));
    return read(key).map(result -> decode(key, result));
  }

  @Override
  public boolean replace(String id, Stored<V> current, V view, long version) {
    Objects.requireNonNull(view, "view");
    String key = key(Objects.requireNonNull(id, "id"));
    byte[] document = encode(view, version);
    try {
      if (current == null) {
        addToIndex(id);
        collection.insert(key, document, insertOptions().transcoder(RawJsonTranscoder.INSTANCE));
      } else {
        collection.replace(
            key,
            document,
            replaceOptions().cas(current.cas()).transcoder(RawJsonTranscoder.INSTANCE));
      }
      return true;
    } catch (DocumentExistsException | CasMismatchException | DocumentNotFoundException e) {
      return false;
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not write read-model document '" + key + "'", e);
    }
  }

  @Override
  public List<Stored<V>> all() {
    List<Stored<V>> all = new ArrayList<>();
    for (String id : indexedIds()) {
      get(id).ifPresent(all::add);
    }
    return all;
  }

  @Override
  public Listing<V> list() {
    List<Stored<V>> entries = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    for (String id : indexedIds()) {
      try {
        get(id).ifPresent(entries::add);
      } catch (SerializationException e) {
        // The document is there but is not a view: report it, serve the others.
        log.warn("Skipping an unreadable read-model document: {}", e.getMessage());
        unreadable.add(id);
      }
    }
    return new Listing<>(entries, unreadable);
  }

  @Override
  public void clear() {
    for (String id : indexedIds()) {
      remove(key(id));
    }
    remove(indexKey());
  }

  private void remove(String key) {
    try {
      collection.remove(key);
    } catch (DocumentNotFoundException e) {
      // Gone already.
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not remove read-model document '" + key + "'", e);
    }
  }

  private Set<String> indexedIds() {
    Set<String> ids = new LinkedHashSet<>();
    read(indexKey())
        .ifPresent(
            result -> tree(indexKey(), result).path("ids").forEach(n -> ids.add(n.asText())));
    return ids;
  }

  private void addToIndex(String id) {
    String key = indexKey();
    for (int attempt = 0; attempt < INDEX_ATTEMPTS; attempt++) {
      Optional<GetResult> index = read(key);
      ObjectNode document =
          index.map(r -> (ObjectNode) tree(key, r)).orElseGet(json::createObjectNode);
      ArrayNode ids = document.withArray("ids");
      for (JsonNode existing : ids) {
        if (existing.asText().equals(id)) {
          return;
        }
      }
      ids.add(id);
      byte[] bytes = bytes(document);
      try {
        if (index.isEmpty()) {
          collection.insert(key, bytes, insertOptions().transcoder(RawJsonTranscoder.INSTANCE));
        } else {
          collection.replace(
              key,
              bytes,
              replaceOptions().cas(index.get().cas()).transcoder(RawJsonTranscoder.INSTANCE));
        }
        return;
      } catch (DocumentExistsException | CasMismatchException | DocumentNotFoundException e) {
        // Another writer added an id first: read the index again.
      } catch (CouchbaseException e) {
        throw new TransientCqrsException("Could not update read-model index '" + key + "'", e);
      }
    }
    throw new TransientCqrsException(
        "Read-model index '" + key + "' kept changing over " + INDEX_ATTEMPTS + " attempts");
  }

  private Optional<GetResult> read(String key) {
    try {
      return Optional.of(collection.get(key, getOptions().transcoder(RawJsonTranscoder.INSTANCE)));
    } catch (DocumentNotFoundException e) {
      return Optional.empty();
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not read read-model document '" + key + "'", e);
    }
  }

  private Stored<V> decode(String key, GetResult result) {
    JsonNode document = tree(key, result);
    try {
      V view = json.treeToValue(document.path("view"), viewType);
      return new Stored<>(view, document.path("version").asLong(), result.cas());
    } catch (IOException | IllegalArgumentException e) {
      throw new SerializationException(
          "Read-model document '" + key + "' does not hold a " + viewType.getSimpleName(), e);
    }
  }

  private JsonNode tree(String key, GetResult result) {
    try {
      return json.readTree(result.contentAs(byte[].class));
    } catch (IOException e) {
      throw new SerializationException("Read-model document '" + key + "' is not JSON", e);
    }
  }

  private byte[] encode(V view, long version) {
    ObjectNode document = json.createObjectNode();
    document.put("version", version);
    document.set("view", json.valueToTree(view));
    return bytes(document);
  }

  private byte[] bytes(JsonNode document) {
    try {
      return json.writeValueAsBytes(document);
    } catch (IOException e) {
      throw new SerializationException("Could not write a read-model document", e);
    }
  }

  private String key(String id) {
    return keyPrefix + "::v::" + id;
  }

  private String indexKey() {
    return keyPrefix + "::index";
  }
}
