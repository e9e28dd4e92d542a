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
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;

/**
 * Sets of ids in Couchbase documents of at most {@code chunk} ids each, so that filing an id reads
 * and writes one small document whatever the set holds (one document of every id would be read and
 * written whole for each new one, and hold what fits in 20 MiB).
 *
 * <p>An index named {@code base} is the document {@code base} ({@code {"ids": [...], "chunks": n}})
 * and its chunks {@code base#1} to {@code base#n} ({@code {"ids": [...]}}); ids go into the base
 * until it is full, then into the last chunk, then into a new one. A new chunk is inserted (only
 * one filer can) before the base counts it, so a crash between the two leaves chunk {@code n+1}
 * uncounted: readers read it as well, and the next filer that finds it counts it. So an index never
 * loses an id it took, and lists an id at most a few times after retries (readers take a set).
 * Writes are CAS-conditional and retried.
 */
final class CouchbaseIdIndex {
  private static final int ATTEMPTS = 100;

  /** Documents read at once by {@link #readAll}. */
  static final int WINDOW = 256;

  private final Collection collection;
  private final ObjectMapper json;
  private final int chunk;

  CouchbaseIdIndex(Collection collection, ObjectMapper json, int chunk) {
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk must be at least 1, was " + chunk);
    }
    this.collection = collection;
    this.json = json;
    this.chunk = chunk;
  }

  /** Files {@code id} in the index {@code base}, unless its base or last chunk has it. */
  void add(String base, String id) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<GetResult> head = read(base);
      ObjectNode document = head.map(r -> document(base, r)).orElseGet(json::createObjectNode);
      Set<String> first = ids(base, document);
      if (first.contains(id)) {
        return;
      }
      long chunks = chunks(base, document);
      if (chunks == 0 && first.size() < chunk) {
        document.withArray("ids").add(id);
        if (head.isEmpty() ? insert(base, document) : replace(base, document, head.get().cas())) {
          return;
        }
        continue; // another filer came first: read again
      }
      if (chunks > 0 && addToLast(base + "#" + chunks, id)) {
        return;
      }
      // The last chunk is full (or the base, without chunks): a new chunk, counted after.
      ObjectNode fresh = json.createObjectNode();
      fresh.withArray("ids").add(id);
      boolean inserted = insert(base + "#" + (chunks + 1), fresh);
      count(base, chunks + 1); // ours, or one a filer inserted and did not count (it crashed)
      if (inserted) {
        return;
      }
    }
    throw new TransientCqrsException(
        "Read-model index '" + base + "' kept changing over " + ATTEMPTS + " attempts");
  }

  /**
   * Adds {@code id} to the last chunk if it has room (or has it already); false if it is full or
   * another filer changed it first.
   */
  private boolean addToLast(String key, String id) {
    Optional<GetResult> last = read(key);
    if (last.isEmpty()) {
      // Counted, then removed by a clear that stopped half way: made again.
      ObjectNode fresh = json.createObjectNode();
      fresh.withArray("ids").add(id);
      return insert(key, fresh);
    }
    ObjectNode document = document(key, last.get());
    Set<String> ids = ids(key, document);
    if (ids.contains(id)) {
      return true;
    }
    if (ids.size() >= chunk) {
      return false;
    }
    document.withArray("ids").add(id);
    return replace(key, document, last.get().cas());
  }

  /** Makes the base count at least {@code chunks} chunks. */
  private void count(String base, long chunks) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<GetResult> head = read(base);
      ObjectNode document = head.map(r -> document(base, r)).orElseGet(json::createObjectNode);
      if (chunks(base, document) >= chunks) {
        return;
      }
      document.put("chunks", chunks);
      if (head.isEmpty() ? insert(base, document) : replace(base, document, head.get().cas())) {
        return;
      }
    }
    throw new TransientCqrsException(
        "Read-model index '" + base + "' kept changing over " + ATTEMPTS + " attempts");
  }

  /** The ids of the indexes {@code bases}: every base, then all their chunks, read in parallel. */
  Set<String> ids(List<String> bases) {
    Set<String> ids = new HashSet<>();
    List<String> chunkKeys = new ArrayList<>();
    readAll(
        collection,
        bases,
        (base, result) -> {
          ObjectNode document = document(base, result);
          ids.addAll(ids(base, document));
          // One more than counted: a chunk inserted by a filer that crashed before counting it.
          for (long i = 1; i <= chunks(base, document) + 1; i++) {
            chunkKeys.add(base + "#" + i);
          }
        });
    readAll(collection, chunkKeys, (key, result) -> ids.addAll(ids(key, document(key, result))));
    return ids;
  }

  /** Removes the index {@code base}: its chunks, then the base that counts them. */
  void remove(String base) {
    Optional<GetResult> head = read(base);
    if (head.isEmpty()) {
      return;
    }
    long chunks = chunks(base, document(base, head.get()));
    for (long i = chunks + 1; i >= 1; i--) {
      removeDocument(base + "#" + i);
    }
    removeDocument(base);
  }

  private void removeDocument(String key) {
    remove(collection, key);
  }

  /**
   * Removes a read-model document, if it is there.
   *
   * @throws TransientCqrsException if the store cannot be reached
   */
  static void remove(Collection collection, String key) {
    try {
      collection.remove(key);
    } catch (DocumentNotFoundException e) {
      // Gone already.
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not remove read-model document '" + key + "'", e);
    }
  }

  /**
   * An index document as read: an object whose {@code ids}, if any, is an array.
   *
   * @throws SerializationException naming the document otherwise (someone wrote it by hand)
   */
  private ObjectNode document(String key, GetResult result) {
    JsonNode document;
    try {
      document = json.readTree(result.contentAs(byte[].class));
    } catch (IOException e) {
      throw new SerializationException("Read-model index '" + key + "' is not JSON", e);
    }
    JsonNode ids = document.get("ids");
    if (!document.isObject() || (ids != null && !ids.isArray())) {
      throw new SerializationException(
          "Read-model index '" + key + "' is not an object with an array of ids");
    }
    return (ObjectNode) document;
  }

  private static Set<String> ids(String key, ObjectNode index) {
    Set<String> ids = new HashSet<>();
    for (JsonNode id : index.path("ids")) {
      if (!id.isTextual()) {
        throw new SerializationException(
            "Read-model index '" + key + "' lists " + id.getNodeType() + " " + id + ", not an id");
      }
      ids.add(id.asText());
    }
    return ids;
  }

  private static long chunks(String key, ObjectNode index) {
    JsonNode chunks = index.get("chunks");
    if (chunks == null) {
      return 0;
    }
    if (!chunks.canConvertToExactIntegral()
        || chunks.asLong() < 0
        || chunks.asLong() > Integer.MAX_VALUE) {
      throw new SerializationException(
          "Read-model index '" + key + "' counts " + chunks + " chunks, not a whole number");
    }
    return chunks.asLong();
  }

  private Optional<GetResult> read(String key) {
    return read(collection, key);
  }

  /**
   * A read-model document as stored, if it is there.
   *
   * @throws TransientCqrsException if the store cannot be reached
   */
  static Optional<GetResult> read(Collection collection, String key) {
    try {
      return Optional.of(collection.get(key, getOptions().transcoder(RawJsonTranscoder.INSTANCE)));
    } catch (DocumentNotFoundException e) {
      return Optional.empty();
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not read read-model document '" + key + "'", e);
    }
  }

  /** Inserts {@code document}; false if one is there already. */
  private boolean insert(String key, ObjectNode document) {
    try {
      collection.insert(
          key, bytes(document), insertOptions().transcoder(RawJsonTranscoder.INSTANCE));
      return true;
    } catch (DocumentExistsException e) {
      return false;
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not write read-model index '" + key + "'", e);
    }
  }

  /** Replaces the document read with {@code cas}; false if another writer changed it first. */
  private boolean replace(String key, ObjectNode document, long cas) {
    try {
      collection.replace(
          key, bytes(document), replaceOptions().cas(cas).transcoder(RawJsonTranscoder.INSTANCE));
      return true;
    } catch (CasMismatchException | DocumentNotFoundException e) {
      return false;
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not write read-model index '" + key + "'", e);
    }
  }

  private byte[] bytes(JsonNode document) {
    try {
      return json.writeValueAsBytes(document);
    } catch (IOException e) {
      throw new SerializationException("Could not write a read-model index", e);
    }
  }

  /**
   * Reads {@code keys} at most {@link #WINDOW} at a time in parallel, and hands each document found
   * to {@code found} in the order of {@code keys}, on this thread; keys without a document are
   * skipped.
   *
   * @throws TransientCqrsException if a read fails
   */
  static void readAll(
      Collection collection, List<String> keys, BiConsumer<String, GetResult> found) {
    for (int from = 0; from < keys.size(); from += WINDOW) {
      int to = Math.min(keys.size(), from + WINDOW);
      List<CompletableFuture<GetResult>> reads = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) {
        try {
          reads.add(
              collection
                  .async()
                  .get(keys.get(i), getOptions().transcoder(RawJsonTranscoder.INSTANCE)));
        } catch (CouchbaseException e) {
          throw new TransientCqrsException(
              "Could not read read-model document '" + keys.get(i) + "'", e);
        }
      }
      for (int i = from; i < to; i++) {
        Optional<GetResult> result = awaited(keys.get(i), reads.get(i - from));
        if (result.isPresent()) {
          found.accept(keys.get(i), result.get());
        }
      }
    }
  }

  private static Optional<GetResult> awaited(String key, CompletableFuture<GetResult> read) {
    try {
      return Optional.of(read.join());
    } catch (CompletionException e) {
      if (e.getCause() instanceof DocumentNotFoundException) {
        return Optional.empty();
      }
      throw new TransientCqrsException(
          "Could not read read-model document '" + key + "'", e.getCause());
    } catch (CancellationException e) {
      throw new TransientCqrsException("Could not read read-model document '" + key + "'", e);
    }
  }
}
