package io.cqrs.couchbase;

import static com.couchbase.client.java.kv.InsertOptions.insertOptions;
import static com.couchbase.client.java.kv.MutateInOptions.mutateInOptions;
import static com.couchbase.client.java.kv.RemoveOptions.removeOptions;
import static com.couchbase.client.java.kv.ReplaceOptions.replaceOptions;

import com.couchbase.client.core.error.CasMismatchException;
import com.couchbase.client.core.error.DocumentExistsException;
import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.core.error.subdoc.PathExistsException;
import com.couchbase.client.core.msg.kv.DurabilityLevel;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.ReactiveCollection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.MutateInSpec;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The key-value operations of the publication relay that {@link Kv} does not offer: writes with a
 * server-side expiry, removal with CAS, and a sub-document add-unique. Like {@link Kv}, expected
 * outcomes (the key exists, the CAS moved on) are return values and SDK exceptions are mapped.
 */
final class RelayKv {
  private final Collection collection;
  private final ReactiveCollection reactive;
  private final DurabilityLevel durability;

  RelayKv(Collection collection, DurabilityLevel durability) {
    this.collection = collection;
    this.reactive = collection.reactive();
    this.durability = durability;
  }

  /**
   * Adds {@code value} to the array at {@code path} of an existing document unless it is there.
   * Emits whether the document exists (so whether the value is there now).
   */
  Mono<Boolean> addUniqueAsync(String key, String path, String value) {
    return reactive
        .mutateIn(
            key,
            List.of(MutateInSpec.arrayAddUnique(path, value).createPath()),
            mutateInOptions().durability(durability))
        .thenReturn(true)
        .onErrorResume(PathExistsException.class, e -> Mono.just(true))
        .onErrorResume(DocumentNotFoundException.class, e -> Mono.just(false))
        .onErrorMap(e -> CouchbaseErrors.map("add to '" + path + "' of '" + key + "'", e));
  }

  /** Inserts a document the server drops after {@code expiry}; its CAS, or 0 if the key exists. */
  long insert(String key, byte[] json, Duration expiry) {
    try {
      return collection
          .insert(
              key,
              json,
              insertOptions()
                  .expiry(expiry)
                  .transcoder(RawJsonTranscoder.INSTANCE)
                  .durability(durability))
          .cas();
    } catch (DocumentExistsException e) {
      return 0;
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("insert of '" + key + "'", e);
    }
  }

  /**
   * Replaces a document if its CAS is still {@code cas}, to be dropped after {@code expiry}; false
   * if it changed, expired or vanished.
   */
  boolean replace(String key, byte[] json, long cas, Duration expiry) {
    try {
      collection.replace(
          key,
          json,
          replaceOptions()
              .cas(cas)
              .expiry(expiry)
              .transcoder(RawJsonTranscoder.INSTANCE)
              .durability(durability));
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
}
