package io.cqrs.couchbase;

import static com.couchbase.client.java.kv.IncrementOptions.incrementOptions;
import static com.couchbase.client.java.kv.InsertOptions.insertOptions;
import static com.couchbase.client.java.kv.MutateInOptions.mutateInOptions;
import static com.couchbase.client.java.kv.RemoveOptions.removeOptions;
import static com.couchbase.client.java.kv.ReplaceOptions.replaceOptions;

import com.couchbase.client.core.error.CasMismatchException;
import com.couchbase.client.core.error.CouchbaseException;
import com.couchbase.client.core.error.DocumentExistsException;
import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.core.error.subdoc.PathMismatchException;
import com.couchbase.client.core.error.subdoc.PathNotFoundException;
import com.couchbase.client.core.msg.ResponseStatus;
import com.couchbase.client.core.msg.kv.DurabilityLevel;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.ReactiveCollection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.ExistsResult;
import com.couchbase.client.java.kv.GetResult;
import com.couchbase.client.java.kv.LookupInResult;
import com.couchbase.client.java.kv.LookupInSpec;
import com.couchbase.client.java.kv.MutateInSpec;
import com.couchbase.client.java.kv.StoreSemantics;
import io.cqrs.SerializationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The key-value operations the repository uses, on raw JSON bytes, with SDK exceptions mapped at
 * this boundary ({@link CouchbaseErrors}). Expected outcomes of exclusive writes (the key exists,
 * the CAS moved on) are return values, not exceptions.
 */
final class Kv {
  private static final Logger log = LoggerFactory.getLogger(Kv.class);

  /** A document's raw JSON and its CAS. */
  record Document(byte[] content, long cas) {}

  /** A numeric field read with sub-document lookup, and the document's CAS. */
  record NumberField(long value, long cas) {}

  /**
   * A numeric field, the document's CAS, other fields' raw JSON (null where absent), and whether a
   * path exists in the same document, read in one sub-document lookup.
   */
  record NumberAndFields(long value, long cas, List<byte[]> fields, boolean pathExists) {}

  /** The most sub-document specs one lookup or mutation may carry. */
  static final int MAX_SPECS = 16;

  private final Collection collection;
  private final ReactiveCollection reactive;
  private final int concurrency;
  private final DurabilityLevel durability;

  /** False once the server refused {@code GET_META}: {@link #exists} then gets. */
  private volatile boolean metadataReads = true;

  Kv(Collection collection, int concurrency) {
    this(collection, concurrency, DurabilityLevel.NONE);
  }

  /**
   * @param durability applied to every mutation; {@link DurabilityLevel#NONE} acknowledges a write
   *     once the active node holds it in memory
   */
  Kv(Collection collection, int concurrency, DurabilityLevel durability) {
    this.collection = collection;
    this.reactive = collection.reactive();
    this.concurrency = concurrency;
    this.durability = durability;
  }

  Optional<Document> get(String key) {
    return await(getAsync(key), "get of '" + key + "'");
  }

  /**
   * Whether a document exists, asked by its metadata alone ({@code Collection.exists}, the
   * protocol's {@code GET_META}): no body comes back, and a missing key is an answer, not the SDK's
   * {@code DocumentNotFoundException} (whose stack trace and error context cost more than the read
   * on a probe that usually misses). A server that does not know {@code GET_META}, such as
   * CouchbaseMock without {@code cqrs-couchbase-mock}'s patch, is asked with a get from then on.
   */
  boolean exists(String key) {
    return await(existsAsync(key), "exists of '" + key + "'");
  }

  /** {@link #exists}, without waiting. */
  Mono<Boolean> existsAsync(String key) {
    if (!metadataReads) {
      return getAsync(key).map(Optional::isPresent);
    }
    return reactive
        .exists(key)
        .map(ExistsResult::exists)
        .onErrorResume(
            Kv::unsupported,
            e -> {
              if (metadataReads) {
                metadataReads = false;
                log.warn(
                    "The Couchbase server does not answer GET_META ({}); existence probes are"
                        + " gets from now on",
                    e.getMessage());
              }
              return getAsync(key).map(Optional::isPresent);
            });
  }

  /** Whether the server refused an operation as unknown or unsupported, whatever the document. */
  static boolean unsupported(Throwable e) {
    if (!(e instanceof CouchbaseException couchbase) || couchbase.context() == null) {
      return false;
    }
    ResponseStatus status = couchbase.context().responseStatus();
    return status == ResponseStatus.UNSUPPORTED || status == ResponseStatus.UNKNOWN;
  }

  Mono<Optional<Document>> getAsync(String key) {
    return reactive
        .get(key)
        .map(Kv::document)
        .onErrorResume(DocumentNotFoundException.class, e -> Mono.just(Optional.empty()));
  }

  /**
   * Some top-level fields of a document, read with one sub-document lookup, as a document of their
   * own: a JSON object holding the fields that exist (at most {@code MAX_SPECS}, simple names), and
   * the whole document's CAS. Empty if the document is missing.
   */
  Optional<Document> getFields(String key, List<String> fields) {
    return await(getFieldsAsync(key, fields), "lookup of " + fields + " in '" + key + "'");
  }

  /** {@link #getFields}, without waiting. */
  Mono<Optional<Document>> getFieldsAsync(String key, List<String> fields) {
    List<LookupInSpec> specs = new ArrayList<>(fields.size());
    for (String field : fields) {
      specs.add(LookupInSpec.get(field));
    }
    return reactive
        .lookupIn(key, specs)
        .map(result -> Optional.of(fieldsDocument(fields, result)))
        .onErrorResume(DocumentNotFoundException.class, e -> Mono.just(Optional.empty()));
  }

  private static Document fieldsDocument(List<String> fields, LookupInResult result) {
    var json = new java.io.ByteArrayOutputStream();
    json.write('{');
    for (int i = 0; i < fields.size(); i++) {
      if (result.exists(i)) {
        if (json.size() > 1) {
          json.write(',');
        }
        json.writeBytes(("\"" + fields.get(i) + "\":").getBytes(StandardCharsets.UTF_8));
        json.writeBytes(result.contentAsBytes(i));
      }
    }
    json.write('}');
    return new Document(json.toByteArray(), result.cas());
  }

  /** The documents of {@code keys} in the same order, fetched in parallel (bounded). */
  List<Optional<Document>> getAll(List<String> keys) {
    if (keys.isEmpty()) {
      return List.of();
    }
    return await(
        getAllAsync(keys), "get of " + keys.size() + " documents from '" + keys.get(0) + "'");
  }

  Mono<List<Optional<Document>>> getAllAsync(List<String> keys) {
    return Flux.fromIterable(keys).flatMapSequential(this::getAsync, concurrency).collectList();
  }

  /** Inserts a new document; returns its CAS, or 0 if the key exists. */
  long insert(String key, byte[] json) {
    try {
      return collection
          .insert(
              key,
              json,
              insertOptions().transcoder(RawJsonTranscoder.INSTANCE).durability(durability))
          .cas();
    } catch (DocumentExistsException e) {
      return 0;
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("insert of '" + key + "'", e);
    }
  }

  /** {@link #insert}, without waiting: its CAS, or 0 if the key exists. */
  Mono<Long> insertAsync(String key, byte[] json) {
    return reactive
        .insert(
            key,
            json,
            insertOptions().transcoder(RawJsonTranscoder.INSTANCE).durability(durability))
        .map(result -> result.cas())
        .onErrorResume(DocumentExistsException.class, e -> Mono.just(0L))
        .onErrorMap(e -> CouchbaseErrors.map("insert of '" + key + "'", e));
  }

  /**
   * Inserts a new document and returns its CAS.
   *
   * @throws DocumentExistsException unmapped, for a caller that maps it to its own exception
   */
  long insertExclusive(String key, byte[] json) {
    try {
      return collection
          .insert(
              key,
              json,
              insertOptions().transcoder(RawJsonTranscoder.INSTANCE).durability(durability))
          .cas();
    } catch (DocumentExistsException e) {
      throw e;
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("insert of '" + key + "'", e);
    }
  }

  /** Replaces a document if its CAS is still {@code cas}; false if it changed or vanished. */
  boolean replace(String key, byte[] json, long cas) {
    try {
      collection.replace(
          key,
          json,
          replaceOptions().cas(cas).transcoder(RawJsonTranscoder.INSTANCE).durability(durability));
      return true;
    } catch (CasMismatchException | DocumentNotFoundException e) {
      return false;
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("replace of '" + key + "'", e);
    }
  }

  /** Removes a document if its CAS is still {@code cas}; false if it changed or vanished. */
  boolean remove(String key, long cas) {
    try {
      collection.remove(key, removeOptions().cas(cas).durability(durability));
      return true;
    } catch (CasMismatchException | DocumentNotFoundException e) {
      return false;
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("remove of '" + key + "'", e);
    }
  }

  /** {@link #replace}, without waiting: false if the CAS changed or the document vanished. */
  Mono<Boolean> replaceAsync(String key, byte[] json, long cas) {
    return reactive
        .replace(
            key,
            json,
            replaceOptions().cas(cas).transcoder(RawJsonTranscoder.INSTANCE).durability(durability))
        .map(result -> true)
        .onErrorResume(
            e -> e instanceof CasMismatchException || e instanceof DocumentNotFoundException,
            e -> Mono.just(false))
        .onErrorMap(e -> CouchbaseErrors.map("replace of '" + key + "'", e));
  }

  /**
   * Upserts {@code fields} (creating the document and their parents), without CAS, in one atomic
   * mutation, without waiting. At most {@code MAX_SPECS} fields.
   */
  Mono<Void> upsertCreatingAsync(String key, Map<String, ?> fields) {
    List<MutateInSpec> specs = new ArrayList<>(fields.size());
    fields.forEach((path, value) -> specs.add(MutateInSpec.upsert(path, value).createPath()));
    return reactive
        .mutateIn(
            key,
            specs,
            mutateInOptions().storeSemantics(StoreSemantics.UPSERT).durability(durability))
        .then()
        .onErrorMap(e -> CouchbaseErrors.map("mutation of '" + key + "'", e));
  }

  /** Whether {@code path} exists in a document; false if the document is missing. */
  boolean pathExists(String key, String path) {
    return await(pathExistsAsync(key, path), "lookup of '" + path + "' in '" + key + "'");
  }

  /** {@link #pathExists}, without waiting. */
  Mono<Boolean> pathExistsAsync(String key, String path) {
    return reactive
        .lookupIn(key, List.of(LookupInSpec.exists(path)))
        .map(result -> exists(result, 0, key, path))
        .onErrorResume(DocumentNotFoundException.class, e -> Mono.just(false));
  }

  /**
   * Whether the {@code exists} spec at {@code index} found {@code path}. {@code exists} alone also
   * answers false where a field on the path is not an object (a document changed by hand): taken
   * for "absent", a head whose command set is a number let a recorded command take effect again.
   *
   * @throws SerializationException if a field on the path is not an object
   */
  private static boolean exists(LookupInResult result, int index, String key, String path) {
    if (result.exists(index)) {
      return true;
    }
    try {
      result.contentAsBytes(index); // throws why the path is absent: cheap, no I/O
    } catch (PathNotFoundException e) {
      return false; // the path is not there
    } catch (PathMismatchException e) {
      throw new SerializationException(
          "'"
              + path
              + "' cannot be looked up in '"
              + key
              + "': a field on the path is not an object",
          e);
    } catch (RuntimeException e) {
      // Any other answer is not "absent": taken so, a recorded command would take effect again.
      throw CouchbaseErrors.map("lookup of '" + path + "' in '" + key + "'", e);
    }
    return false;
  }

  /** Increments a counter, creating it at 1; returns the new value. */
  long increment(String key) {
    try {
      return collection
          .binary()
          .increment(key, incrementOptions().initial(1).durability(durability))
          .content();
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("increment of '" + key + "'", e);
    }
  }

  /** {@link #increment}, without waiting. */
  Mono<Long> incrementAsync(String key) {
    return reactive
        .binary()
        .increment(key, incrementOptions().initial(1).durability(durability))
        .map(result -> result.content())
        .onErrorMap(e -> CouchbaseErrors.map("increment of '" + key + "'", e));
  }

  /** A counter's value; 0 if it does not exist yet. */
  long counter(String key) {
    Optional<Document> document = get(key);
    if (document.isEmpty()) {
      return 0;
    }
    String text = new String(document.get().content(), StandardCharsets.US_ASCII).trim();
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new SerializationException("Counter '" + key + "' is not a number", e);
    }
  }

  /**
   * Appends a number to an array field, creating the document and the array if needed. Atomic on
   * the server: concurrent appends are never lost.
   */
  Mono<Void> appendAsync(String key, String path, long value) {
    return reactive
        .mutateIn(
            key,
            List.of(MutateInSpec.arrayAppend(path, List.of(value)).createPath()),
            mutateInOptions().storeSemantics(StoreSemantics.UPSERT).durability(durability))
        .then()
        .onErrorMap(e -> CouchbaseErrors.map("array append to '" + key + "'", e));
  }

  /**
   * Appends {@code seq} to the array {@code "q"} and {@code cause} (a string, or {@code null}) to
   * the array {@code "c"} of a correlation index document, in one atomic mutation, creating the
   * document and the arrays if needed: the two arrays stay aligned, entry for entry, whatever
   * appends run concurrently.
   */
  Mono<Void> appendIndexEntryAsync(String key, long seq, String cause) {
    return reactive
        .mutateIn(
            key,
            List.of(
                MutateInSpec.arrayAppend("q", List.of(seq)).createPath(),
                MutateInSpec.arrayAppend("c", Collections.singletonList(cause)).createPath()),
            mutateInOptions().storeSemantics(StoreSemantics.UPSERT).durability(durability))
        .then()
        .onErrorMap(e -> CouchbaseErrors.map("index append to '" + key + "'", e));
  }

  /** A numeric field of a document with the document's CAS; empty if the document is missing. */
  Optional<NumberField> lookupNumber(String key, String path) {
    return await(lookupNumberAsync(key, path), "lookup of '" + path + "' in '" + key + "'");
  }

  Mono<Optional<NumberField>> lookupNumberAsync(String key, String path) {
    return reactive
        .lookupIn(key, List.of(LookupInSpec.get(path)))
        .map(result -> Optional.of(numberField(key, path, result)))
        .onErrorResume(DocumentNotFoundException.class, e -> Mono.just(Optional.empty()));
  }

  /**
   * A numeric field, the raw JSON of each of {@code fieldPaths} (null where absent), and whether
   * {@code path} exists (null: not asked), in one lookup; empty if the document is missing. At most
   * {@code MAX_SPECS - 2} field paths.
   */
  Mono<Optional<NumberAndFields>> lookupNumberAndFieldsAsync(
      String key, String numberPath, List<String> fieldPaths, String path) {
    List<LookupInSpec> specs = new ArrayList<>(fieldPaths.size() + 2);
    specs.add(LookupInSpec.get(numberPath));
    for (String fieldPath : fieldPaths) {
      specs.add(LookupInSpec.get(fieldPath));
    }
    if (path != null) {
      specs.add(LookupInSpec.exists(path));
    }
    return reactive
        .lookupIn(key, specs)
        .map(
            result -> {
              NumberField number = numberField(key, numberPath, result);
              List<byte[]> fields = new ArrayList<>(fieldPaths.size());
              for (int i = 1; i <= fieldPaths.size(); i++) {
                fields.add(result.exists(i) ? result.contentAsBytes(i) : null);
              }
              boolean exists = path != null && exists(result, fieldPaths.size() + 1, key, path);
              return Optional.of(new NumberAndFields(number.value(), number.cas(), fields, exists));
            })
        .onErrorResume(DocumentNotFoundException.class, e -> Mono.just(Optional.empty()))
        .onErrorMap(
            e ->
                e instanceof SerializationException
                    ? e
                    : CouchbaseErrors.map("lookup of '" + numberPath + "' in '" + key + "'", e));
  }

  /**
   * Sets a number field, appends values to an array field and upserts {@code fields} (creating
   * their parents) in one atomic mutation, if the CAS is still {@code cas}, without waiting: the
   * new CAS, or 0 if it changed or the document vanished. At most {@code MAX_SPECS - 2} fields.
   */
  Mono<Long> setAndAppendAsync(
      String key,
      long cas,
      String numberPath,
      long number,
      String arrayPath,
      List<?> values,
      Map<String, ?> fields) {
    List<MutateInSpec> specs = new ArrayList<>(2 + fields.size());
    specs.add(MutateInSpec.upsert(numberPath, number));
    specs.add(MutateInSpec.arrayAppend(arrayPath, values));
    fields.forEach((path, value) -> specs.add(MutateInSpec.upsert(path, value).createPath()));
    return mutateAsync(key, cas, specs);
  }

  /**
   * Upserts {@code fields} (creating their parents) in one atomic mutation if the CAS is still
   * {@code cas}, without waiting: the new CAS, or 0 if it changed or the document vanished. At most
   * {@code MAX_SPECS} fields.
   */
  Mono<Long> upsertFieldsAsync(String key, long cas, Map<String, ?> fields) {
    List<MutateInSpec> specs = new ArrayList<>(fields.size());
    fields.forEach((path, value) -> specs.add(MutateInSpec.upsert(path, value).createPath()));
    return mutateAsync(key, cas, specs);
  }

  private Mono<Long> mutateAsync(String key, long cas, List<MutateInSpec> specs) {
    return reactive
        .mutateIn(key, specs, mutateInOptions().cas(cas).durability(durability))
        .map(result -> result.cas())
        .onErrorResume(
            e -> e instanceof CasMismatchException || e instanceof DocumentNotFoundException,
            e -> Mono.just(0L))
        .onErrorMap(e -> CouchbaseErrors.map("mutation of '" + key + "'", e));
  }

  /** Blocks for a reactive result, mapping its failure. */
  static <T> T await(Mono<T> mono, String operation) {
    try {
      return mono.block();
    } catch (RuntimeException e) {
      // Reactor wraps only checked exceptions; Couchbase's are unchecked and arrive unwrapped.
      throw CouchbaseErrors.map(operation, Exceptions.unwrap(e));
    }
  }

  private static NumberField numberField(String key, String path, LookupInResult result) {
    if (!result.exists(0)) {
      throw new SerializationException("Document '" + key + "' has no field '" + path + "'");
    }
    byte[] raw = result.contentAsBytes(0);
    try {
      return new NumberField(
          Long.parseLong(new String(raw, StandardCharsets.US_ASCII).trim()), result.cas());
    } catch (NumberFormatException e) {
      throw new SerializationException(
          "Field '" + path + "' of document '" + key + "' is not an integer", e);
    }
  }

  private static Optional<Document> document(GetResult result) {
    return Optional.of(new Document(result.contentAsBytes(), result.cas()));
  }
}
