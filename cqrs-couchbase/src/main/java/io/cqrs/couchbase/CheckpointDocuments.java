package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.TransientCqrsException;
import java.util.Optional;

/**
 * Durable relay checkpoints, one document per name holding a position that only moves forward:
 * saved by insert, or by CAS replace after reading a lower position, so concurrent savers cannot
 * move it back.
 */
final class CheckpointDocuments {
  private static final int ATTEMPTS = 64;

  private final Kv kv;
  private final RelayKeys keys;
  private final DocumentCodec codec;

  CheckpointDocuments(Kv kv, RelayKeys keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  long read(String name) {
    String key = keys.checkpoint(name);
    return kv.get(key).map(document -> position(key, document)).orElse(0L);
  }

  void save(String name, long position) {
    String key = keys.checkpoint(name);
    ObjectNode node = codec.document(null);
    node.put("p", position);
    byte[] document = codec.write(node);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Kv.Document> current = kv.get(key);
      if (current.isEmpty()) {
        if (kv.insert(key, document) != 0) {
          return;
        }
      } else if (position(key, current.get()) >= position
          || kv.replace(key, document, current.get().cas())) {
        return;
      }
      // Another saver wrote in between: read its position and compare again.
    }
    throw new TransientCqrsException(
        "Could not save checkpoint '"
            + name
            + "' at "
            + position
            + ": other savers changed it "
            + ATTEMPTS
            + " times in a row");
  }

  private long position(String key, Kv.Document document) {
    try {
      return DocumentCodec.number(codec.read(key, document.content(), null), "p");
    } catch (IllegalArgumentException e) {
      throw DocumentCodec.corrupt(key, null, e);
    }
  }
}
