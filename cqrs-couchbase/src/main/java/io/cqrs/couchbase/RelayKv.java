package io.cqrs.couchbase;

import static com.couchbase.client.java.kv.MutateInOptions.mutateInOptions;

import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.core.error.subdoc.PathExistsException;
import com.couchbase.client.core.msg.kv.DurabilityLevel;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.ReactiveCollection;
import com.couchbase.client.java.kv.MutateInSpec;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The key-value operation of the publication relay that {@link Kv} does not offer: a sub-document
 * add-unique. Like {@link Kv}, expected outcomes are return values and SDK exceptions are mapped.
 */
final class RelayKv {
  private final ReactiveCollection reactive;
  private final DurabilityLevel durability;

  RelayKv(Collection collection, DurabilityLevel durability) {
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
}
