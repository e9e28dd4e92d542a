package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.TransientCqrsException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The live members of event processors, one document per processor mapping each owner to the end of
 * its heartbeat in epoch milliseconds: {@code {"f":1,"m":{owner:untilMillis,…}}}. Changed by insert
 * or CAS replace after a read, so concurrent heartbeats are never lost; members whose heartbeat ran
 * out at the writer's {@code now} are dropped on the way.
 */
final class MemberDocuments {
  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;

  MemberDocuments(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  /** Two round trips: a get, then an insert or a CAS replace (more only after a lost race). */
  List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    String key = keys.processorMembers(processor);
    long until = SegmentDocuments.untilMillis(now, ttl);
    for (int attempt = 0; attempt < SegmentDocuments.ATTEMPTS; attempt++) {
      Optional<Kv.Document> document = kv.get(key);
      TreeMap<String, Long> members = document.map(d -> members(key, d)).orElseGet(TreeMap::new);
      members.put(owner, until);
      members
          .entrySet()
          .removeIf(
              m -> !m.getKey().equals(owner) && !Instant.ofEpochMilli(m.getValue()).isAfter(now));
      if (write(key, members, document)) {
        return List.copyOf(members.keySet());
      }
    }
    throw new TransientCqrsException(
        "Could not record a heartbeat of '"
            + owner
            + "' for processor '"
            + processor
            + "': its members changed under "
            + SegmentDocuments.ATTEMPTS
            + " attempts in a row");
  }

  /** One get, then a CAS replace if {@code owner} is a member. */
  void leave(String processor, String owner) {
    String key = keys.processorMembers(processor);
    for (int attempt = 0; attempt < SegmentDocuments.ATTEMPTS; attempt++) {
      Optional<Kv.Document> document = kv.get(key);
      if (document.isEmpty()) {
        return;
      }
      TreeMap<String, Long> members = members(key, document.get());
      if (members.remove(owner) == null || write(key, members, document)) {
        return;
      }
    }
    // Not removed: the heartbeat runs out on its own, so the others notice a little later.
  }

  private boolean write(String key, Map<String, Long> members, Optional<Kv.Document> current) {
    ObjectNode node = codec.document(null);
    ObjectNode map = node.putObject("m");
    members.forEach(map::put);
    byte[] json = codec.write(node);
    return current.isEmpty()
        ? kv.insert(key, json) != 0
        : kv.replace(key, json, current.get().cas());
  }

  private TreeMap<String, Long> members(String key, Kv.Document document) {
    JsonNode node = codec.read(key, document.content(), null);
    JsonNode map = node.get("m");
    if (map == null || !map.isObject()) {
      throw DocumentCodec.corrupt(key, null, new IllegalArgumentException("field 'm' is missing"));
    }
    TreeMap<String, Long> members = new TreeMap<>();
    map.fields()
        .forEachRemaining(
            entry -> {
              if (!entry.getValue().isIntegralNumber()) {
                throw DocumentCodec.corrupt(
                    key,
                    null,
                    new IllegalArgumentException("member '" + entry.getKey() + "' has no time"));
              }
              members.put(entry.getKey(), entry.getValue().longValue());
            });
    return members;
  }
}
