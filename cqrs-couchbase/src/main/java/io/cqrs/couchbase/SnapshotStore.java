package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.TransientCqrsException;
import io.cqrs.spi.Snapshot;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One snapshot document per stream, replaced with CAS so that an older snapshot never overwrites a
 * newer one. A snapshot document that cannot be read (another layout, malformed, of another stream)
 * is treated as absent, so the stream is replayed from its events.
 */
final class SnapshotStore {
  private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);
  private static final int ATTEMPTS = 8;

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final int maxDocumentBytes;

  /**
   * Runs in {@link #discard} between reading the snapshot and removing it; for tests, which put
   * another writer there.
   */
  private volatile Runnable beforeRemove = () -> {};

  SnapshotStore(Kv kv, KeyLayout keys, DocumentCodec codec, int maxDocumentBytes) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.maxDocumentBytes = maxDocumentBytes;
  }

  void save(Snapshot snapshot) {
    String key = keys.snapshot(snapshot.streamId());
    byte[] json = encode(snapshot);
    if (json.length > maxDocumentBytes) {
      throw new IllegalArgumentException(
          "Snapshot of stream '"
              + KeyLayout.shown(snapshot.streamId())
              + "' is "
              + json.length
              + " bytes, more than the "
              + maxDocumentBytes
              + " a document may hold");
    }
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> stored = kv.get(key);
      if (stored.isEmpty()) {
        if (kv.insert(key, json) != 0) {
          return;
        }
        continue;
      }
      Optional<Snapshot> current = decode(key, stored.get().content(), snapshot.streamId());
      if (current.isPresent() && current.get().version() > snapshot.version()) {
        return; // a newer snapshot is stored already
      }
      if (kv.replace(key, json, stored.get().cas())) {
        return;
      }
    }
    throw new TransientCqrsException(
        "Snapshot of stream '"
            + KeyLayout.shown(snapshot.streamId())
            + "' kept being replaced by other writers; gave up after "
            + ATTEMPTS
            + " attempts");
  }

  /**
   * Removes the snapshot if its version is above {@code aboveVersion}, with the CAS it was read
   * with: one replaced since (by a newer snapshot, or a good one) is left to be looked at again.
   */
  boolean discard(String streamId, long aboveVersion) {
    String key = keys.snapshot(streamId);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> stored = kv.get(key);
      if (stored.isEmpty()) {
        return false;
      }
      Optional<Snapshot> current = decode(key, stored.get().content(), streamId);
      if (current.isPresent() && current.get().version() <= aboveVersion) {
        return false;
      }
      beforeRemove.run();
      if (kv.remove(key, stored.get().cas())) {
        return true;
      }
    }
    throw new TransientCqrsException(
        "Snapshot of stream '"
            + KeyLayout.shown(streamId)
            + "' kept being replaced by other writers while it was being discarded; gave up after "
            + ATTEMPTS
            + " attempts");
  }

  /** Sets what {@link #discard} runs between its read and its remove; for tests. */
  void beforeRemove(Runnable step) {
    this.beforeRemove = step;
  }

  Optional<Snapshot> load(String streamId) {
    String key = keys.snapshot(streamId);
    return kv.get(key).flatMap(doc -> decode(key, doc.content(), streamId));
  }

  private byte[] encode(Snapshot snapshot) {
    ObjectNode node = codec.document(null);
    node.put("s", snapshot.streamId());
    node.put("v", snapshot.version());
    node.put("t", snapshot.aggregateType());
    node.put("schema", snapshot.schema());
    node.put("state", snapshot.state());
    node.put("created", snapshot.created().toString());
    return codec.write(node);
  }

  private Optional<Snapshot> decode(String key, byte[] json, String streamId) {
    try {
      JsonNode node = codec.read(key, json, streamId);
      if (!streamId.equals(node.path("s").textValue())) {
        throw new IllegalArgumentException("it belongs to stream '" + node.path("s") + "'");
      }
      return Optional.of(
          new Snapshot(
              streamId,
              DocumentCodec.number(node, "v"),
              text(node, "t"),
              text(node, "schema"),
              text(node, "state"),
              Instant.parse(text(node, "created"))));
    } catch (RuntimeException e) {
      log.warn(
          "Snapshot '{}' of stream '{}' is ignored and the stream replayed: {}",
          key,
          KeyLayout.shown(streamId),
          e.getMessage());
      log.debug("Unreadable snapshot '{}'", key, e);
      return Optional.empty();
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' must be a string");
    }
    return value.textValue();
  }
}
