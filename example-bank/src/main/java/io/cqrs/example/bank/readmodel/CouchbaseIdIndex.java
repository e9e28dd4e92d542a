package io.cqrs.example.bank.readmodel;

import static com.couchbase.client.java.kv.GetOptions.getOptions;

import com.couchbase.client.core.error.CouchbaseException;
import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.core.error.subdoc.DeltaInvalidException;
import com.couchbase.client.core.error.subdoc.DocumentNotJsonException;
import com.couchbase.client.core.error.subdoc.NumberTooBigException;
import com.couchbase.client.core.error.subdoc.PathMismatchException;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.GetResult;
import com.couchbase.client.java.kv.IncrementOptions;
import com.couchbase.client.java.kv.MutateInOptions;
import com.couchbase.client.java.kv.MutateInSpec;
import com.couchbase.client.java.kv.StoreSemantics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import io.cqrs.example.bank.request.FieldRules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Sets of ids in Couchbase documents of at most {@code chunk} ids each, filed without
 * read-modify-write: filing an id takes a slot from a counter ({@code increment}, atomic on the
 * server) and appends the id to the slot's chunk ({@code arrayAppend}, atomic on the server,
 * creating the chunk), two operations whatever the index holds and however many processes file at
 * once, none of which can make another retry.
 *
 * <p>An index named {@code base} is the counter {@code base#n} (the slots taken) and the chunks
 * {@code base#1}, {@code base#2}, ... ({@code {"ids": [...]}}), slot {@code s} in chunk {@code (s -
 * 1) / chunk + 1}. A document {@code base} itself ({@code {"ids": [...]}}) is what builds before
 * these chunks wrote: read, never written. A filer that dies between its two operations leaves its
 * slot empty (the chunk holds fewer ids), and the event it was filing for is handled again, taking
 * another slot; so an index never loses an id it took, and lists an id at most a few times after
 * retries (readers take a set).
 *
 * <p>{@link #remove} must not run while ids are filed in the same index (a read model is cleared
 * only while nothing writes it): a slot taken before the removal and filled after it would be left
 * behind.
 */
final class CouchbaseIdIndex {
  /** Documents read at once by {@link #readAll}. */
  static final int WINDOW = 256;

  /** The most slots a counter may hold: a hundred million ids. */
  private static final long MAX_SLOTS = 100_000_000L;

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

  /** Files {@code id} in the index {@code base}: a slot, then the id in the slot's chunk. */
  void add(String base, String id) {
    String counter = counter(base);
    long slot;
    try {
      slot =
          collection
              .binary()
              .increment(counter, IncrementOptions.incrementOptions().initial(1))
              .content();
    } catch (CouchbaseException e) {
      throw failure("Could not take a slot of read-model index '" + counter + "'", e);
    }
    String key = base + "#" + ((slot - 1) / chunk + 1);
    try {
      collection.mutateIn(
          key,
          List.of(MutateInSpec.arrayAppend("ids", List.of(id)).createPath()),
          MutateInOptions.mutateInOptions().storeSemantics(StoreSemantics.UPSERT));
    } catch (CouchbaseException e) {
      throw failure("Could not file '" + id + "' in read-model index '" + key + "'", e);
    }
  }

  /**
   * A failure of a write: a document that is not an index (someone wrote it by hand) is a {@link
   * SerializationException}, anything else transient.
   */
  private static RuntimeException failure(String message, CouchbaseException e) {
    if (e instanceof DocumentNotJsonException
        || e instanceof PathMismatchException
        || e instanceof DeltaInvalidException
        || e instanceof NumberTooBigException) {
      return new SerializationException(message + ": it is not an index document", e);
    }
    return new TransientCqrsException(message, e);
  }

  private static String counter(String base) {
    return base + "#n";
  }

  /**
   * The ids of the indexes {@code bases}: their counters and the documents of earlier builds, then
   * every chunk the counters reach, read in parallel.
   */
  Set<String> ids(List<String> bases) {
    Set<String> ids = new HashSet<>();
    List<String> firstRead = new ArrayList<>(bases.size() * 2);
    for (String base : bases) {
      firstRead.add(base);
      firstRead.add(counter(base));
    }
    List<String> chunkKeys = new ArrayList<>();
    readAll(
        collection,
        firstRead,
        (key, result) -> {
          if (key.endsWith("#n")) {
            String base = key.substring(0, key.length() - 2);
            for (long i = 1; i <= chunks(key, result); i++) {
              chunkKeys.add(base + "#" + i);
            }
          } else {
            ids.addAll(ids(key, document(key, result)));
          }
        });
    readAll(collection, chunkKeys, (key, result) -> ids.addAll(ids(key, document(key, result))));
    return ids;
  }

  /** How many chunks the slots of a counter reach. */
  private long chunks(String key, GetResult result) {
    String text = new String(result.contentAs(byte[].class), StandardCharsets.US_ASCII).strip();
    long slots;
    try {
      slots = Long.parseLong(text);
    } catch (NumberFormatException e) {
      slots = -1;
    }
    if (slots < 0 || slots > MAX_SLOTS) {
      throw new SerializationException(
          "Read-model index counter '"
              + key
              + "' holds '"
              + FieldRules.printable(text)
              + "', not a count of at most "
              + MAX_SLOTS);
    }
    return (slots + chunk - 1) / chunk;
  }

  /** Removes the index {@code base}: its chunks, its counter and a document of earlier builds. */
  void remove(String base) {
    Optional<GetResult> counter = read(collection, counter(base));
    if (counter.isPresent()) {
      for (long i = chunks(counter(base), counter.get()); i >= 1; i--) {
        remove(collection, base + "#" + i);
      }
    }
    remove(collection, counter(base));
    remove(collection, base);
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
