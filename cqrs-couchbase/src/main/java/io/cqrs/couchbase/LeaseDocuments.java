package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Optional;

/**
 * Relay leases, one document per lease naming its owner, written with a server-side expiry: an
 * unrenewed lease is dropped by the server, so expiry does not depend on the relays' clocks. A free
 * lease is taken by insert and a held one renewed by CAS replace, so two owners can never both
 * succeed; release is a CAS remove.
 */
final class LeaseDocuments {
  /**
   * The longest ttl: the SDK sends an expiry of 30 days or more as a point in time read from the
   * client's clock, which would make expiry depend on it.
   */
  static final Duration MAX_TTL = Duration.ofDays(30).minusSeconds(2);

  private static final int ATTEMPTS = 8;

  private final Kv kv;
  private final RelayKv relayKv;
  private final RelayKeys keys;
  private final DocumentCodec codec;

  LeaseDocuments(Kv kv, RelayKv relayKv, RelayKeys keys, DocumentCodec codec) {
    this.kv = kv;
    this.relayKv = relayKv;
    this.keys = keys;
    this.codec = codec;
  }

  boolean tryAcquire(String lease, String owner, Duration ttl) {
    String key = keys.lease(lease);
    Duration expiry = expiry(ttl);
    byte[] mine = document(owner);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> current = kv.get(key);
      if (current.isEmpty()) {
        if (relayKv.insert(key, mine, expiry) != 0) {
          return true;
        }
      } else if (!owner.equals(owner(key, current.get()))) {
        return false;
      } else if (relayKv.replace(key, mine, current.get().cas(), expiry)) {
        return true;
      }
      // The document changed between our read and write (taken, expired or released): look again.
    }
    // Not renewed: whatever this owner held expires on its old schedule, so "no" is safe.
    return false;
  }

  void release(String lease, String owner) {
    String key = keys.lease(lease);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> current = kv.get(key);
      if (current.isEmpty()
          || !owner.equals(owner(key, current.get()))
          || relayKv.remove(key, current.get().cas())) {
        return;
      }
    }
  }

  /**
   * The expiry to ask the server for: the ttl in whole seconds, rounded up, plus one second. The
   * server counts expiry in whole seconds on a clock that ticks once a second, so a document
   * written with an expiry of {@code n} seconds is dropped between {@code n - 1} and {@code n}
   * seconds later; the extra second makes a lease last at least its ttl (and at most about two
   * seconds more), as {@link io.cqrs.spi.RelayStore#tryAcquireLease} promises.
   */
  static Duration expiry(Duration ttl) {
    long seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
    return Duration.ofSeconds(seconds + 1);
  }

  private byte[] document(String owner) {
    ObjectNode node = codec.document(null);
    node.put("o", owner);
    return codec.write(node);
  }

  private String owner(String key, Kv.Document document) {
    JsonNode node = codec.read(key, document.content(), null);
    JsonNode owner = node.get("o");
    if (owner == null || !owner.isTextual()) {
      throw DocumentCodec.corrupt(key, null, new IllegalArgumentException("field 'o' is missing"));
    }
    return owner.textValue();
  }
}
