package io.cqrs.example.bank.readmodel;

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
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ViewStore} in Couchbase, key-value operations only: document {@code
 * <keyPrefix>::v::<id>} is {@code {"version": n, "view": {...}}}, inserted for a stream's first
 * event and then replaced with the CAS it was read with, so view and version change in one atomic
 * write and, of several processes applying the same event, exactly one succeeds.
 *
 * <p>Couchbase has no listing by key without a query service, so an index {@code
 * <keyPrefix>::index} lists every id; an id is added before its first view is written, so the index
 * never misses a view; readers skip ids whose view is not written yet. An index of a key ({@link
 * #index}) is {@code <keyPrefix>::index::<key>} ({@link #indexKey(String)}). Each index is a base
 * document and chunks of at most {@link #INDEX_CHUNK} ids ({@link CouchbaseIdIndex}): filing an id
 * reads and writes one small document however many the index holds. Driver failures become {@link
 * TransientCqrsException}: the bus redelivers the event.
 *
 * @param <V> the view type, a record Jackson can read and write
 */
final class CouchbaseViewStore<V> implements ViewStore<V> {
  private static final Logger log = LoggerFactory.getLogger(CouchbaseViewStore.class);

  /** The most ids an index document holds: about 50 KB of ids. */
  static final int INDEX_CHUNK = 1000;

  /** Couchbase's longest key, in bytes, less the room of a chunk's suffix ({@code #<n>}). */
  private static final int MAX_KEY_BYTES = 250 - 11;

  private static final Pattern PLAIN_KEY = Pattern.compile("[!-\"$-~]+");

  private final Collection collection;
  private final String keyPrefix;
  private final Class<V> viewType;
  private final ObjectMapper json;
  private final CouchbaseIdIndex indexes;

  CouchbaseViewStore(
      Collection collection, String keyPrefix, Class<V> viewType, ObjectMapper json) {
    this(collection, keyPrefix, viewType, json, INDEX_CHUNK);
  }

  /**
   * @param chunk the most ids an index document holds (tests use small ones)
   */
  CouchbaseViewStore(
      Collection collection, String keyPrefix, Class<V> viewType, ObjectMapper json, int chunk) {
    this.collection = collection;
    this.keyPrefix = keyPrefix;
    this.viewType = viewType;
    this.json = json;
    this.indexes = new CouchbaseIdIndex(collection, json, chunk);
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
        indexes.add(indexKey(), id);
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
  public void index(String key, String id) {
    Objects.requireNonNull(id, "id");
    indexes.add(indexKey(Objects.requireNonNull(key, "key")), id);
  }

  @Override
  public Set<String> ids() {
    return indexes.ids(List.of(indexKey()));
  }

  @Override
  public Set<String> indexed(String key) {
    return indexes.ids(List.of(indexKey(Objects.requireNonNull(key, "key"))));
  }

  /** Reads the indexes in parallel, as {@link #get(java.util.Collection)} reads entries. */
  @Override
  public Set<String> indexed(java.util.Collection<String> keys) {
    List<String> documents = new ArrayList<>(keys.size());
    for (String key : keys) {
      documents.add(indexKey(Objects.requireNonNull(key, "key")));
    }
    return indexes.ids(documents);
  }

  /**
   * Reads the documents in parallel, at most {@link CouchbaseIdIndex#WINDOW} at a time: a page of a
   * listing costs one round trip, not one per entry, and a listing of every entry does not queue
   * them all in the driver at once.
   */
  @Override
  public Listing<V> get(java.util.Collection<String> ids) {
    Map<String, String> byKey = new LinkedHashMap<>();
    for (String id : ids) {
      byKey.put(key(Objects.requireNonNull(id, "id")), id);
    }
    List<Stored<V>> entries = new ArrayList<>(byKey.size());
    List<String> unreadable = new ArrayList<>();
    CouchbaseIdIndex.readAll(
        collection,
        List.copyOf(byKey.keySet()),
        (key, result) -> {
          try {
            entries.add(decode(key, result));
          } catch (SerializationException e) {
            // The document is there but is not a view: report it, serve the others.
            log.warn("Skipping an unreadable read-model document: {}", e.getMessage());
            unreadable.add(byKey.get(key));
          }
        });
    return new Listing<>(entries, unreadable);
  }

  @Override
  public void dropIndex(String key) {
    indexes.remove(indexKey(Objects.requireNonNull(key, "key")));
  }

  @Override
  public void clear() {
    for (String id : ids()) {
      remove(key(id));
    }
    indexes.remove(indexKey());
  }

  private void remove(String key) {
    CouchbaseIdIndex.remove(collection, key);
  }

  private Optional<GetResult> read(String key) {
    return CouchbaseIdIndex.read(collection, key);
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

  /**
   * The document of the index of {@code key}: {@code <keyPrefix>::index::<key>} where that is a key
   * Couchbase takes and nothing can mistake for another (printable ASCII without {@code #}, at most
   * {@link #MAX_KEY_BYTES} bytes), else {@code <keyPrefix>::index::#<SHA-256 of key>}.
   */
  String indexKey(String key) {
    String plain = keyPrefix + "::index::" + key;
    if (PLAIN_KEY.matcher(key).matches()
        && plain.getBytes(StandardCharsets.UTF_8).length <= MAX_KEY_BYTES) {
      return plain;
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return keyPrefix + "::index::#" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Every Java platform has SHA-256", e);
    }
  }
}
