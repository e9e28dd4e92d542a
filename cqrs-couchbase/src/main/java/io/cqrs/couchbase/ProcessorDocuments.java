package io.cqrs.couchbase;

import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ProcessorStore} half of {@link CouchbaseEventStreamRepository}: validates arguments
 * and hands each operation to the documents that hold it (see "Event processors" in {@code
 * docs/couchbase.md}). A processor's segment count, once its document exists, never changes, so
 * each repository remembers the counts it has read and checks segment numbers without a round trip.
 */
final class ProcessorDocuments implements ProcessorStore {
  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final SegmentDocuments segments;
  private final MemberDocuments members;
  private final Map<String, Integer> counts = new ConcurrentHashMap<>();

  ProcessorDocuments(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.segments = new SegmentDocuments(kv, keys, codec);
    this.members = new MemberDocuments(kv, keys, codec);
  }

  @Override
  public int segmentCount(String processor, int segments) {
    checkName(processor);
    if (segments < 1) {
      throw new IllegalArgumentException("segments must be >= 1, was " + segments);
    }
    OptionalInt known = count(processor);
    if (known.isPresent()) {
      return known.getAsInt();
    }
    String key = keys.processor(processor);
    var node = codec.document(null);
    node.put("n", segments);
    if (kv.insert(key, codec.write(node)) != 0) {
      counts.put(processor, segments);
      return segments;
    }
    // Another process fixed it between our get and insert; the document never changes after.
    return count(processor)
        .orElseThrow(() -> new IllegalStateException("Document '" + key + "' vanished"));
  }

  @Override
  public Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    checkTtl(ttl);
    checkSegment(processor, segment);
    return segments.claim(processor, segment, owner, now, ttl);
  }

  @Override
  public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(now, "now");
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, was " + position);
    }
    checkSegment(claim.processor(), claim.segment());
    segments.saveCheckpoint(claim, position, now);
  }

  @Override
  public void release(SegmentClaim claim) {
    Objects.requireNonNull(claim, "claim");
    checkSegment(claim.processor(), claim.segment());
    segments.release(claim);
  }

  @Override
  public List<SegmentState> segments(String processor) {
    checkName(processor);
    OptionalInt count = count(processor);
    return count.isEmpty() ? List.of() : segments.states(processor, count.getAsInt());
  }

  @Override
  public void reset(String processor, long position, Instant now) {
    Objects.requireNonNull(now, "now");
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, was " + position);
    }
    segments.reset(processor, requireCount(processor), position, now);
  }

  @Override
  public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    checkTtl(ttl);
    requireCount(processor);
    return members.heartbeat(processor, owner, now, ttl);
  }

  @Override
  public void leave(String processor, String owner) {
    checkName(processor);
    Objects.requireNonNull(owner, "owner");
    members.leave(processor, owner);
  }

  /** The processor's segment count: remembered, or one get; empty if it was never fixed. */
  private OptionalInt count(String processor) {
    Integer known = counts.get(processor);
    if (known != null) {
      return OptionalInt.of(known);
    }
    String key = keys.processor(processor);
    Optional<Kv.Document> document = kv.get(key);
    if (document.isEmpty()) {
      return OptionalInt.empty();
    }
    long count;
    try {
      count = DocumentCodec.number(codec.read(key, document.get().content(), null), "n");
      if (count < 1 || count > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("segment count " + count + " is out of range");
      }
    } catch (IllegalArgumentException e) {
      throw DocumentCodec.corrupt(key, null, e);
    }
    counts.put(processor, (int) count);
    return OptionalInt.of((int) count);
  }

  private int requireCount(String processor) {
    checkName(processor);
    return count(processor)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "Processor '"
                        + processor
                        + "' has no segment count yet: call segmentCount first"));
  }

  private void checkSegment(String processor, int segment) {
    int count = requireCount(processor);
    if (segment < 0 || segment >= count) {
      throw new IllegalArgumentException(
          "Processor '" + processor + "' has segments 0.." + (count - 1) + ", not " + segment);
    }
  }

  private static void checkName(String processor) {
    Objects.requireNonNull(processor, "processor");
    if (processor.isEmpty()) {
      throw new IllegalArgumentException("processor must not be empty");
    }
  }

  private static void checkTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, was " + ttl);
    }
  }
}
