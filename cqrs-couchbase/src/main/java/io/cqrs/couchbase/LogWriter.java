package io.cqrs.couchbase;

import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Stores documents in the integration log under a sequence from the global counter, listing the
 * sequence in the correlation index of every correlation id involved.
 *
 * <p>An integration event is committed by its document's insert, so its index entries are appended
 * first ({@link #store}): whenever such a document exists, its entries do too. A stream commit is
 * committed only by its claim, later, so its index entries and its document are written at once
 * ({@link #storeCommit}); the claim waits for both, and a log reader that completes a prepared
 * commit appends its entries before claiming it ({@link CommitResolver}). Either way a committed
 * document is indexed. An index entry whose sequence never gets a committed document is filtered
 * out by readers.
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
  private final CorrelationIndex index;

  LogWriter(Kv kv, KeyLayout keys, DocumentCodec codec, CorrelationIndex index) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.index = index;
  }

  /** A document stored in the log, with the CAS it was stored with. */
  record Stored(long seq, long cas) {}

  /**
   * Stores an integration event's {@code document}, which holds {@code events}, under a new
   * sequence: the index first, then the document, whose insert commits it.
   *
   * @param subject names what is stored, for messages
   */
  Stored store(byte[] document, List<VersionedEvent> events, String subject) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      long seq = kv.increment(keys.sequence());
      try {
        index.appendNow(seq, events);
      } catch (RuntimeException e) {
        closeQuietly(seq, e);
        throw e;
      }
      long cas;
      try {
        cas = kv.insert(keys.log(seq), document);
        if (cas == 0) {
          cas = ours(seq, document);
        }
      } catch (RuntimeException e) {
        cas = settle(seq, document, e);
      }
      if (cas != 0) {
        return new Stored(seq, cas);
      }
      closedBefore(seq, subject);
    }
    throw tooSlow(subject);
  }

  /**
   * Stores a stream commit's {@code document} under {@code seq}, already taken, or under a new
   * sequence if a reader closed that one first: the index entries and the document in one round
   * trip. Returns only once both are written, so that the claim that commits the document never
   * names one that is not indexed.
   *
   * @throws TransientCqrsException if the document was stored but its index entries could not be
   *     written: the commit is prepared, and a log reader may still complete it
   */
  Stored storeCommit(long seq, byte[] document, List<VersionedEvent> events, String subject) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) {
        seq = kv.increment(keys.sequence());
      }
      String key = keys.log(seq);
      var both =
          Kv.await(
              Mono.zip(
                  Settled.of(
                      index.append(seq, events).thenReturn(true),
                      "update of the correlation index for log sequence " + seq),
                  Settled.of(kv.insertAsync(key, document), "insert of '" + key + "'")),
              "store of " + subject);
      RuntimeException indexFailure = both.getT1().failure();
      long cas;
      if (both.getT2().failure() != null) {
        cas = settle(seq, document, withSuppressed(both.getT2().failure(), indexFailure));
      } else {
        cas = both.getT2().value() != 0 ? both.getT2().value() : ours(seq, document);
      }
      if (cas == 0) {
        if (indexFailure != null) {
          throw indexFailure; // nothing is stored: the sequence is closed
        }
        closedBefore(seq, subject);
        continue;
      }
      if (indexFailure instanceof CorrelationIndexFullException full) {
        // The document can never be claimed (its entry can never be listed): abandon it, so that
        // log readers skip it at once rather than each find that out again.
        abandon(new Stored(seq, cas), subject);
        throw full;
      }
      if (indexFailure != null) {
        indexAgain(seq, events, subject, indexFailure);
      }
      return new Stored(seq, cas);
    }
    throw tooSlow(subject);
  }

  /**
   * The document is stored but not indexed: it must not be claimed until it is. One more try; if
   * that fails too the outcome is left to log readers, which index before they complete.
   */
  private void indexAgain(
      long seq, List<VersionedEvent> events, String subject, RuntimeException first) {
    try {
      index.appendNow(seq, events);
    } catch (RuntimeException again) {
      again.addSuppressed(first);
      throw new TransientCqrsException(
          "Stored "
              + subject
              + " as log sequence "
              + seq
              + " but could not index it, so it was not claimed: it may or may not be committed"
              + " (a log reader may complete it later, so a reload showing the old version does"
              + " not settle it; retrying the save at the same expected version does: a conflict"
              + " then if it was committed)",
          again);
    }
  }

  private static RuntimeException withSuppressed(RuntimeException error, RuntimeException other) {
    if (other != null) {
      error.addSuppressed(other);
    }
    return error;
  }

  private static void closedBefore(long seq, String subject) {
    log.info("Log sequence {} was closed as a gap before {} was stored; retrying", seq, subject);
  }

  private static TransientCqrsException tooSlow(String subject) {
    return new TransientCqrsException(
        "Could not store "
            + subject
            + " in the integration log: log readers closed "
            + ATTEMPTS
            + " sequences in a row as gaps before the write landed; the gap grace period is"
            + " shorter than writes take");
  }

  /**
   * Gives back a sequence taken for a write that will not happen (its save was refused before
   * storing anything), without waiting: an abandon marker, so that log readers need not wait for
   * it. Best effort: readers close it themselves after the grace period.
   */
  void giveBack(long seq) {
    kv.insertAsync(keys.log(seq), codec.marker(DocumentCodec.ABORTED))
        .subscribe(
            null, e -> log.debug("Could not close unused log sequence {}; readers will", seq, e));
  }

  /**
   * Marks a stored commit as abandoned after its writer lost the race for the stream's version, so
   * that log readers skip it without checking its claim, or after its correlation index refused it
   * ({@link CorrelationIndexFullException}). Best effort: readers check the claim anyway, and
   * abandon a commit whose index is full themselves.
   */
  void abandon(Stored stored, String subject) {
    try {
      kv.replace(keys.log(stored.seq()), codec.marker(DocumentCodec.ABORTED), stored.cas());
    } catch (RuntimeException e) {
      log.debug("Could not mark abandoned commit {} ({})", stored.seq(), subject, e);
    }
  }

  /**
   * After an insert that failed without saying whether it landed: its CAS if it did, 0 if the
   * sequence is closed; throws {@code failure} if this writer closed it itself.
   */
  private long settle(long seq, byte[] document, RuntimeException failure) {
    String key = keys.log(seq);
    // The insert may or may not have landed. Closing the sequence settles it: if the marker
    // lands, the document never will.
    boolean closed;
    try {
      closed = kv.insert(key, codec.marker(DocumentCodec.GAP)) != 0;
    } catch (RuntimeException again) {
      failure.addSuppressed(again);
      throw failure;
    }
    if (closed) {
      throw failure;
    }
    return ours(seq, document);
  }

  /** The CAS of the document at {@code seq} if it is {@code document}, 0 if it is a gap marker. */
  private long ours(long seq, byte[] document) {
    Optional<Kv.Document> there = kv.get(keys.log(seq));
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
