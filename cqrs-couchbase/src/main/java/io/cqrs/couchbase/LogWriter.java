package io.cqrs.couchbase;

import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;

/**
 * Stores documents in the integration log: takes a sequence from the global counter, lists it in
 * the correlation index of every correlation id involved, then inserts the document under it. The
 * index comes first so that whenever a log document exists, its index entries do too; an index
 * entry whose sequence never gets a committed document is filtered out by readers.
 *
 * <p>A sequence that a log reader closed as a gap (this writer was slower than the grace period)
 * makes the insert fail; the writer then takes a new sequence, which is safe because nothing of the
 * commit is visible yet.
 */
final class LogWriter {
  private static final Logger log = LoggerFactory.getLogger(LogWriter.class);
  private static final int ATTEMPTS = 5;

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;

  LogWriter(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  /** A document stored in the log, with the CAS it was stored with. */
  record Stored(long seq, long cas) {}

  /**
   * Stores {@code document}, which holds {@code events}, under a new sequence.
   *
   * @param subject names what is stored, for messages
   */
  Stored store(byte[] document, List<VersionedEvent> events, String subject) {
    Set<String> correlationIds = new LinkedHashSet<>();
    for (VersionedEvent event : events) {
      correlationIds.add(event.correlationId());
    }
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      long seq = kv.increment(keys.sequence());
      try {
        index(seq, correlationIds);
      } catch (RuntimeException e) {
        closeQuietly(seq, e);
        throw e;
      }
      long cas = insert(seq, document);
      if (cas != 0) {
        return new Stored(seq, cas);
      }
      log.info("Log sequence {} was closed as a gap before {} was stored; retrying", seq, subject);
    }
    throw new TransientCqrsException(
        "Could not store "
            + subject
            + " in the integration log: log readers closed "
            + ATTEMPTS
            + " sequences in a row as gaps before the write landed; the gap grace period is"
            + " shorter than writes take");
  }

  /**
   * Marks a stored commit as abandoned after its writer lost the race for the stream's version, so
   * that log readers skip it without checking its claim. Best effort: readers check the claim
   * anyway.
   */
  void abandon(Stored stored, String streamId) {
    try {
      kv.replace(keys.log(stored.seq()), codec.marker(DocumentCodec.ABORTED), stored.cas());
    } catch (RuntimeException e) {
      log.debug(
          "Could not mark abandoned commit {} of stream '{}'",
          stored.seq(),
          KeyLayout.shown(streamId),
          e);
    }
  }

  private void index(long seq, Set<String> correlationIds) {
    Kv.await(
        Flux.fromIterable(correlationIds)
            .flatMap(id -> kv.appendAsync(keys.correlation(id), "q", seq))
            .then(),
        "update of the correlation index for log sequence " + seq);
  }

  /** Inserts the document; its CAS, or 0 if a reader closed the sequence first. */
  private long insert(long seq, byte[] document) {
    String key = keys.log(seq);
    try {
      long cas = kv.insert(key, document);
      if (cas != 0) {
        return cas;
      }
    } catch (RuntimeException e) {
      // The insert may or may not have landed. Closing the sequence settles it: if the marker
      // lands, the document never will.
      boolean closed;
      try {
        closed = kv.insert(key, codec.marker(DocumentCodec.GAP)) != 0;
      } catch (RuntimeException again) {
        e.addSuppressed(again);
        throw e;
      }
      if (closed) {
        throw e;
      }
    }
    Optional<Kv.Document> there = kv.get(key);
    // The key exists: it holds either our document (an earlier attempt did land) or a gap marker.
    return there.isPresent() && Arrays.equals(there.get().content(), document)
        ? there.get().cas()
        : 0;
  }

  private void closeQuietly(long seq, RuntimeException cause) {
    try {
      kv.insert(keys.log(seq), codec.marker(DocumentCodec.GAP));
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }
}
