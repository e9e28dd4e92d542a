package io.cqrs.example.bank.readmodel;

import static com.couchbase.client.java.kv.InsertOptions.insertOptions;
import static com.couchbase.client.java.kv.ReplaceOptions.replaceOptions;

import com.couchbase.client.core.error.CasMismatchException;
import com.couchbase.client.core.error.CouchbaseException;
import com.couchbase.client.core.error.DocumentExistsException;
import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.json.JsonObject;
import com.couchbase.client.java.kv.GetResult;
import io.cqrs.TransientCqrsException;
import java.util.Objects;
import java.util.Optional;

/**
 * The serving generation in one Couchbase document, {@code <prefix>::rm::generation} = {@code
 * {"generation": "..."}}; absent means {@code ""}. A switch inserts it or replaces it with the CAS
 * it was read with, so of two rebuilds switching from the same generation one wins.
 */
public final class CouchbaseReadModelGeneration implements ReadModelGeneration {
  private final Collection collection;
  private final String key;

  /**
   * @param collection where the document is
   * @param prefix the bank's key prefix
   */
  public CouchbaseReadModelGeneration(Collection collection, String prefix) {
    this.collection = Objects.requireNonNull(collection, "collection");
    this.key = Objects.requireNonNull(prefix, "prefix") + "::rm::generation";
  }

  @Override
  public String current() {
    return read().map(r -> r.contentAsObject().getString("generation")).orElse("");
  }

  @Override
  public boolean switchFrom(String expected, String next) {
    Objects.requireNonNull(expected, "expected");
    JsonObject document =
        JsonObject.create().put("generation", ReadModelGeneration.validated(next));
    try {
      Optional<GetResult> current = read();
      String now = current.map(r -> r.contentAsObject().getString("generation")).orElse("");
      if (!now.equals(expected)) {
        return false;
      }
      if (current.isEmpty()) {
        collection.insert(key, document, insertOptions());
      } else {
        collection.replace(key, document, replaceOptions().cas(current.get().cas()));
      }
      return true;
    } catch (DocumentExistsException | CasMismatchException | DocumentNotFoundException e) {
      return false;
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not switch the read models' generation", e);
    }
  }

  private Optional<GetResult> read() {
    try {
      return Optional.of(collection.get(key));
    } catch (DocumentNotFoundException e) {
      return Optional.empty();
    } catch (CouchbaseException e) {
      throw new TransientCqrsException("Could not read the read models' generation", e);
    }
  }
}
