package io.cqrs.couchbase;

import com.couchbase.client.core.error.CasMismatchException;
import com.couchbase.client.core.error.DocumentExistsException;
import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.json.JsonObject;
import com.couchbase.client.java.kv.GetResult;
import com.couchbase.client.java.kv.ReplaceOptions;
import io.cqrs.Projection;
import io.cqrs.VersionedEvent;
import java.util.Optional;

/**
 * A read model in Couchbase documents, one per stream: {@code {"v": applied version, "total": sum
 * of the deposits, "writes": successful writes, "bad": out-of-order applications}}, each change a
 * CAS write of the whole document, so processes share it safely. {@code writes} equal to {@code v}
 * means every event was applied exactly once; {@code bad} counts applications that were not the
 * stream's next version.
 */
final class DocumentLedger implements Projection {
  private final Collection collection;
  private final String prefix;

  DocumentLedger(Collection collection, String prefix) {
    this.collection = collection;
    this.prefix = prefix;
  }

  String key(String stream) {
    return prefix + "::ledger::" + stream;
  }

  Optional<JsonObject> document(String stream) {
    try {
      return Optional.of(collection.get(key(stream)).contentAsObject());
    } catch (DocumentNotFoundException e) {
      return Optional.empty();
    }
  }

  @Override
  public long appliedVersion(String streamId) {
    return document(streamId).map(d -> d.getLong("v")).orElse(0L);
  }

  @Override
  public void apply(VersionedEvent event) {
    long amount = event.eventAs(TestEvents.Deposited.class).amount();
    String key = key(event.sourceId());
    while (true) {
      GetResult current;
      try {
        current = collection.get(key);
      } catch (DocumentNotFoundException e) {
        current = null;
      }
      JsonObject doc =
          current == null
              ? JsonObject.create().put("v", 0L).put("total", 0L).put("writes", 0L).put("bad", 0L)
              : current.contentAsObject();
      long version = doc.getLong("v");
      if (event.version() <= version) {
        return; // another process applied it between the gate's look and this write
      }
      JsonObject next =
          JsonObject.create()
              .put("v", event.version())
              .put("total", doc.getLong("total") + amount)
              .put("writes", doc.getLong("writes") + 1)
              .put("bad", doc.getLong("bad") + (event.version() == version + 1 ? 0 : 1));
      try {
        if (current == null) {
          collection.insert(key, next);
        } else {
          collection.replace(key, next, ReplaceOptions.replaceOptions().cas(current.cas()));
        }
        return;
      } catch (CasMismatchException | DocumentExistsException e) {
        // someone else wrote first: read again and decide again
      }
    }
  }
}
