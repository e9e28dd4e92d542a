package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which events of a stream are known to be on the event bus: one document per stream holding the
 * version ranges marked published, appended with a sub-document array append (atomic on the server,
 * so concurrent marks by the fast path and the relay are never lost, and repeated marks are
 * harmless).
 */
final class PublicationMarks {
  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;

  PublicationMarks(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  /** Marks versions {@code from..to}, which the caller has checked exist. */
  void mark(String streamId, long from, long to) {
    Kv.await(
        kv.appendAsync(keys.published(streamId), "r", List.of(from, to)),
        "mark of versions " + from + ".." + to + " of stream '" + KeyLayout.shown(streamId) + "'");
  }

  /** The marked ranges of each stream, read in parallel; streams without marks are absent. */
  Map<String, Ranges> read(Set<String> streamIds) {
    List<String> streams = new ArrayList<>(streamIds);
    List<String> docKeys = new ArrayList<>(streams.size());
    for (String stream : streams) {
      docKeys.add(keys.published(stream));
    }
    List<Optional<Kv.Document>> documents = kv.getAll(docKeys);
    Map<String, Ranges> ranges = new HashMap<>();
    for (int i = 0; i < streams.size(); i++) {
      if (documents.get(i).isPresent()) {
        ranges.put(streams.get(i), parse(docKeys.get(i), documents.get(i).get().content()));
      }
    }
    return ranges;
  }

  private Ranges parse(String key, byte[] json) {
    JsonNode node;
    try {
      node = codec.mapper().readTree(json);
    } catch (java.io.IOException e) {
      throw DocumentCodec.corrupt(key, null, e);
    }
    JsonNode array = node == null ? null : node.get("r");
    if (array == null || !array.isArray()) {
      throw DocumentCodec.corrupt(key, null, new IllegalArgumentException("no array 'r'"));
    }
    List<long[]> ranges = new ArrayList<>(array.size());
    for (JsonNode pair : array) {
      ranges.add(new long[] {pair.path(0).asLong(0), pair.path(1).asLong(-1)});
    }
    return new Ranges(ranges);
  }

  /** Version ranges, inclusive. */
  static final class Ranges {
    private final List<long[]> ranges;

    Ranges(List<long[]> ranges) {
      this.ranges = ranges;
    }

    boolean contains(long version) {
      for (long[] range : ranges) {
        if (range[0] <= version && version <= range[1]) {
          return true;
        }
      }
      return false;
    }
  }
}
