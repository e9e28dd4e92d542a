package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.ClaimLostException;
import io.cqrs.TransientCqrsException;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The segments of event processors, one document per segment holding its fencing token, checkpoint
 * and claim: {@code {"f":1,"t":token,"c":checkpoint,"o":owner,"u":untilMillis}} ({@code o} and
 * {@code u} only while claimed). A missing document is a segment never claimed. Every change is a
 * read followed by an insert or a CAS replace decided on what was read, so each operation is one
 * atomic step; a lost race re-reads and decides again. Expiry is the callers' {@code now}, never a
 * document expiry.
 */
final class SegmentDocuments {
  /** Lost races in a row before an operation gives up with a transient failure. */
  static final int ATTEMPTS = 16;

  /** How long a reset holds the segments it locked if it dies before releasing them. */
  static final Duration RESET_LOCK = Duration.ofMinutes(1);

  /** A segment as its document says; {@code cas} 0 if there is no document. */
  private record Segment(long token, long checkpoint, String owner, long until, long cas) {
    boolean claimedAt(Instant now) {
      return owner != null && Instant.ofEpochMilli(until).isAfter(now);
    }
  }

  /** A claim, or who holds the segment instead. */
  private record Attempt(SegmentClaim claim, Segment holder) {}

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;

  SegmentDocuments(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  /** Two round trips: a get, then an insert or a CAS replace (more only after a lost race). */
  Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    return Optional.ofNullable(attempt(processor, segment, owner, now, ttl).claim());
  }

  private Attempt attempt(String processor, int segment, String owner, Instant now, Duration ttl) {
    String key = keys.processorSegment(processor, segment);
    long until = untilMillis(now, ttl);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Segment current = read(key);
      boolean held = current.claimedAt(now);
      if (held && !owner.equals(current.owner())) {
        return new Attempt(null, current);
      }
      // A renewal keeps the token; any new claim, even the same owner's after expiry, fences.
      if (!held && current.token() == Long.MAX_VALUE) {
        // Only a document written by hand gets here (a token grows by one per claim): the next
        // token would wrap to a negative one that no reader accepts, and fence nothing.
        throw DocumentCodec.corrupt(
            key,
            null,
            new IllegalArgumentException(
                "its token " + Long.MAX_VALUE + " has no successor to fence it with"));
      }
      long token = held ? current.token() : current.token() + 1;
      if (write(key, new Segment(token, current.checkpoint(), owner, until, current.cas()))) {
        SegmentClaim claim =
            new SegmentClaim(
                processor,
                segment,
                owner,
                token,
                current.checkpoint(),
                Instant.ofEpochMilli(until));
        return new Attempt(claim, null);
      }
    }
    throw contended("claim", processor, segment);
  }

  /** Two round trips: a get, then a CAS replace unless the position is not higher. */
  void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    String key = keys.processorSegment(claim.processor(), claim.segment());
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Segment current = read(key);
      if (current.token() != claim.token() || !claim.owner().equals(current.owner())) {
        throw new ClaimLostException(
            claim.processor(),
            claim.segment(),
            current.owner() == null
                ? "released (token " + current.token() + ")"
                : "claimed since by '" + current.owner() + "' (token " + current.token() + ")");
      }
      if (!current.claimedAt(now)) {
        throw new ClaimLostException(
            claim.processor(),
            claim.segment(),
            "it expired at " + Instant.ofEpochMilli(current.until()));
      }
      if (current.checkpoint() >= position
          || write(
              key,
              new Segment(
                  current.token(), position, current.owner(), current.until(), current.cas()))) {
        return;
      }
      // Changed since the read (a renewal, or a takeover): decide again on what is there now.
    }
    throw contended("save the checkpoint of", claim.processor(), claim.segment());
  }

  /** Two round trips: a get, then a CAS replace if the claim is still the current one. */
  void release(SegmentClaim claim) {
    String key = keys.processorSegment(claim.processor(), claim.segment());
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Segment current = read(key);
      if (current.token() != claim.token()
          || !claim.owner().equals(current.owner())
          || write(
              key, new Segment(current.token(), current.checkpoint(), null, 0, current.cas()))) {
        return;
      }
    }
    throw contended("release", claim.processor(), claim.segment());
  }

  /** The segments' states: one parallel fan-out of gets. */
  List<SegmentState> states(String processor, int count) {
    List<String> segmentKeys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      segmentKeys.add(keys.processorSegment(processor, i));
    }
    List<Optional<Kv.Document>> documents = kv.getAll(segmentKeys);
    List<SegmentState> states = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Segment s = parse(segmentKeys.get(i), documents.get(i));
      states.add(
          new SegmentState(
              i,
              s.checkpoint(),
              s.owner(),
              s.token(),
              s.owner() == null ? null : Instant.ofEpochMilli(s.until())));
    }
    return states;
  }

  /**
   * Sets every segment's checkpoint as one step in effect: first claims every segment for the reset
   * itself (refusing, and giving back what it took, if one is claimed at {@code now}), then writes
   * each checkpoint and releases each claim in one CAS replace. The claims fence the segments for
   * the while, so a processor starting meanwhile finds them taken.
   */
  void reset(String processor, int count, long position, Instant now) {
    String owner = "reset:" + UUID.randomUUID();
    List<SegmentClaim> locks = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        Attempt attempt = attempt(processor, i, owner, now, RESET_LOCK);
        if (attempt.claim() == null) {
          Segment holder = attempt.holder();
          throw new IllegalStateException(
              "Cannot reset processor '"
                  + processor
                  + "': segment "
                  + i
                  + " is claimed by '"
                  + holder.owner()
                  + "' until "
                  + Instant.ofEpochMilli(holder.until())
                  + "; stop it everywhere first");
        }
        locks.add(attempt.claim());
      }
      while (!locks.isEmpty()) {
        finishReset(locks.get(0), position);
        locks.remove(0);
      }
    } finally {
      for (SegmentClaim lock : locks) {
        release(lock);
      }
    }
  }

  private void finishReset(SegmentClaim lock, long position) {
    String key = keys.processorSegment(lock.processor(), lock.segment());
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Segment current = read(key);
      if (current.token() != lock.token()) {
        throw new IllegalStateException(
            "Reset of processor '"
                + lock.processor()
                + "' lost segment "
                + lock.segment()
                + " to '"
                + current.owner()
                + "' after "
                + RESET_LOCK
                + " (clocks apart?); the segments before it were reset");
      }
      if (write(key, new Segment(current.token(), position, null, 0, current.cas()))) {
        return;
      }
    }
    throw contended("reset", lock.processor(), lock.segment());
  }

  private Segment read(String key) {
    return parse(key, kv.get(key));
  }

  private Segment parse(String key, Optional<Kv.Document> document) {
    if (document.isEmpty()) {
      return new Segment(0, 0, null, 0, 0);
    }
    JsonNode node = codec.read(key, document.get().content(), null);
    try {
      long token = DocumentCodec.number(node, "t");
      long checkpoint = DocumentCodec.number(node, "c");
      if (token < 0 || checkpoint < 0) {
        throw new IllegalArgumentException("token and checkpoint must be >= 0");
      }
      JsonNode owner = node.get("o");
      if (owner == null) {
        return new Segment(token, checkpoint, null, 0, document.get().cas());
      }
      if (!owner.isTextual() || token < 1) {
        throw new IllegalArgumentException("field 'o' must be the owner of a token >= 1");
      }
      long until = DocumentCodec.number(node, "u");
      return new Segment(token, checkpoint, owner.textValue(), until, document.get().cas());
    } catch (IllegalArgumentException e) {
      throw DocumentCodec.corrupt(key, null, e);
    }
  }

  /** Inserts the segment's document if {@code cas} is 0, else replaces it with CAS. */
  private boolean write(String key, Segment segment) {
    ObjectNode node = codec.document(null);
    node.put("t", segment.token());
    node.put("c", segment.checkpoint());
    if (segment.owner() != null) {
      node.put("o", segment.owner());
      node.put("u", segment.until());
    }
    byte[] json = codec.write(node);
    return segment.cas() == 0 ? kv.insert(key, json) != 0 : kv.replace(key, json, segment.cas());
  }

  static long untilMillis(Instant now, Duration ttl) {
    try {
      return now.plus(ttl).toEpochMilli();
    } catch (ArithmeticException | java.time.DateTimeException e) {
      throw new IllegalArgumentException("now + ttl is out of range: " + now + " + " + ttl, e);
    }
  }

  private static TransientCqrsException contended(String what, String processor, int segment) {
    return new TransientCqrsException(
        "Could not "
            + what
            + " segment "
            + segment
            + " of processor '"
            + processor
            + "': it changed under "
            + ATTEMPTS
            + " attempts in a row");
  }
}
