package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.TransientCqrsException;
import java.time.Duration;
import java.util.Optional;

/**
 * Relay leases and checkpoints. A lease is a document naming its owner that the server deletes when
 * its ttl passes without a renewal, so expiry follows the server's clock, not the relays'; a
 * checkpoint is a document replaced with CAS only by a higher position.
 */
final class RelayCoordination {
  private static final int ATTEMPTS = 8;

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;

  RelayCoordination(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  boolean tryAcquireLease(String lease, String owner, Duration ttl) {
    String key = keys.lease(lease);
    Duration expiry = expiry(ttl);
    ObjectNode node = codec.document(null);
    node.put("o", owner);
    byte[] json = codec.write(node);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> held = kv.get(key);
      if (held.isEmpty()) {
        if (kv.insert(key, json, expiry) != 0) {
          return true;
        }
        continue;
      }
      if (!owner.equals(owner(key, held.get()))) {
        return false;
      }
      if (kv.replace(key, json, held.get().cas(), expiry)) {
        return true;
      }
    }
    throw new TransientCqrsException(
        "Lease '" + lease + "' kept changing under " + owner + "; gave up after " + ATTEMPTS);
  }

  /**
   * The document expiry for a lease ttl. The server counts expiry in whole seconds of its clock, so
   * a document given {@code n} seconds may vanish up to a second early; rounding the ttl up and
   * adding a second makes a lease last at least its ttl, and at most two seconds longer.
   */
  static Duration expiry(Duration ttl) {
    long seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
    return Duration.ofSeconds(seconds + 1);
  }

  void releaseLease(String lease, String owner) {
    String key = keys.lease(lease);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> held = kv.get(key);
      if (held.isEmpty() || !owner.equals(owner(key, held.get()))) {
        return;
      }
      if (kv.remove(key, held.get().cas())) {
        return;
      }
    }
  }

  long readCheckpoint(String name) {
    String key = keys.checkpoint(name);
    return kv.get(key).map(doc -> position(key, doc)).orElse(0L);
  }

  void saveCheckpoint(String name, long position) {
    String key = keys.checkpoint(name);
    ObjectNode node = codec.document(null);
    node.put("v", position);
    byte[] json = codec.write(node);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> stored = kv.get(key);
      if (stored.isEmpty()) {
        if (kv.insert(key, json) != 0) {
          return;
        }
        continue;
      }
      if (position(key, stored.get()) >= position) {
        return;
      }
      if (kv.replace(key, json, stored.get().cas())) {
        return;
      }
    }
    throw new TransientCqrsException(
        "Checkpoint '" + name + "' kept changing; gave up after " + ATTEMPTS + " attempts");
  }

  private String owner(String key, Kv.Document document) {
    JsonNode node = codec.read(key, document.content(), null);
    JsonNode owner = node.get("o");
    if (owner == null || !owner.isTextual()) {
      throw DocumentCodec.corrupt(key, null, new IllegalArgumentException("no owner 'o'"));
    }
    return owner.textValue();
  }

  private long position(String key, Kv.Document document) {
    try {
      return DocumentCodec.number(codec.read(key, document.content(), null), "v");
    } catch (IllegalArgumentException e) {
      throw DocumentCodec.corrupt(key, null, e);
    }
  }
}
