package io.cqrs.couchbase;

import com.couchbase.client.core.error.DocumentExistsException;
import io.cqrs.ConcurrencyException;
import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends commits to streams. The order of writes is what makes a save atomic and the integration
 * log complete (see {@code docs/couchbase.md}):
 *
 * <ol>
 *   <li>check that the expected version is the stream's end (the head, and claims past it);
 *   <li>take a log sequence from the global counter, append it to the correlation index, and insert
 *       the commit document under it ({@link LogWriter#store});
 *   <li>insert the claim on the first new version, naming the sequence: the commit point. Two
 *       writers of the same version cannot both insert it;
 *   <li>move the head on (a hint; a failure here leaves the commit standing).
 * </ol>
 */
final class StreamWriter {
  private static final Logger log = LoggerFactory.getLogger(StreamWriter.class);
  private static final int HEAD_ATTEMPTS = 8;

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final StreamReader reader;
  private final LogWriter logWriter;

  StreamWriter(
      Kv kv, KeyLayout keys, DocumentCodec codec, StreamReader reader, LogWriter logWriter) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.reader = reader;
    this.logWriter = logWriter;
  }

  /** Where the stream ends: the head read and the claims found past it. */
  private record Position(long headVersion, long headCas, List<StreamHead.Entry> beyond) {}

  void save(String streamId, long expected, List<VersionedEvent> events, byte[] commit) {
    Position position = locate(streamId, expected);
    long first = expected + 1;
    long last = expected + events.size();
    LogWriter.Stored stored =
        logWriter.store(
            commit,
            events,
            "versions " + first + ".." + last + " of stream '" + KeyLayout.shown(streamId) + "'");
    claim(streamId, expected, stored, last);
    List<StreamHead.Entry> added = new ArrayList<>(position.beyond());
    added.add(new StreamHead.Entry(first, last, stored.seq()));
    try {
      updateHead(streamId, position.headVersion(), position.headCas(), added);
    } catch (RuntimeException e) {
      log.warn(
          "Committed versions {}..{} of stream '{}' but could not move its head; readers follow"
              + " the claims and the next save repairs it",
          first,
          last,
          KeyLayout.shown(streamId),
          e);
    }
  }

  /**
   * Checks that {@code expected} is where the stream ends. The head is only a hint, but every
   * version it names is a commit boundary, so {@code head == expected} suffices; if the head lags,
   * the claims past it are followed. A claim inserted since (by a racing writer) is caught by the
   * claim insert, the commit point.
   */
  private Position locate(String streamId, long expected) {
    Optional<Kv.NumberField> head = reader.headVersion(streamId);
    long headVersion = head.map(Kv.NumberField::value).orElse(0L);
    long headCas = head.map(Kv.NumberField::cas).orElse(0L);
    if (headVersion > expected) {
      throw conflict(streamId, expected, headVersion);
    }
    List<StreamHead.Entry> beyond = List.of();
    if (headVersion < expected) {
      beyond = reader.claimsAfter(streamId, headVersion);
      long end = StreamReader.end(headVersion, beyond);
      if (end != expected) {
        throw new ConcurrencyException(streamId, expected, end);
      }
    }
    return new Position(headVersion, headCas, beyond);
  }

  /** Inserts the claim: the commit point. */
  private void claim(String streamId, long expected, LogWriter.Stored stored, long last) {
    String key = keys.claim(streamId, expected + 1);
    try {
      kv.insertExclusive(key, codec.claim(stored.seq(), last));
    } catch (DocumentExistsException e) {
      StreamHead.Entry holder =
          kv.get(key)
              .map(doc -> codec.claim(key, doc.content(), streamId, expected + 1))
              .orElseThrow(() -> new IllegalStateException("claim '" + key + "' vanished", e));
      if (holder.seq() == stored.seq()) {
        return; // a log reader found our commit prepared and completed it for us
      }
      logWriter.abandon(stored, streamId);
      throw conflict(streamId, expected, holder.last(), e);
    } catch (TransientCqrsException e) {
      throw new TransientCqrsException(
          "The save of versions "
              + (expected + 1)
              + ".."
              + last
              + " of stream '"
              + KeyLayout.shown(streamId)
              + "' may or may not have been committed; reload the stream to find out",
          e);
    }
  }

  private ConcurrencyException conflict(String streamId, long expected, long knownVersion) {
    return conflict(streamId, expected, knownVersion, null);
  }

  private ConcurrencyException conflict(
      String streamId, long expected, long knownVersion, Throwable cause) {
    long actual = StreamReader.end(knownVersion, reader.claimsAfter(streamId, knownVersion));
    return new ConcurrencyException(streamId, expected, actual, cause);
  }

  /**
   * Moves the head from {@code version} to the end of {@code added}, appending their entries, with
   * CAS so that the head only ever lists the stream's commits contiguously.
   */
  private void updateHead(String streamId, long version, long cas, List<StreamHead.Entry> added) {
    String key = keys.head(streamId);
    long target = added.get(added.size() - 1).last();
    for (int attempt = 0; attempt < HEAD_ATTEMPTS; attempt++) {
      List<StreamHead.Entry> missing = new ArrayList<>();
      for (StreamHead.Entry entry : added) {
        if (entry.first() > version) {
          missing.add(entry);
        }
      }
      boolean done =
          cas == 0
              ? kv.insert(key, codec.head(target, missing)) != 0
              : kv.setAndAppend(key, cas, "v", target, "c", headEntries(missing));
      if (done) {
        return;
      }
      Optional<Kv.NumberField> now = reader.headVersion(streamId);
      version = now.map(Kv.NumberField::value).orElse(0L);
      cas = now.map(Kv.NumberField::cas).orElse(0L);
      if (version >= target) {
        return; // another writer moved it past our commit, listing it
      }
    }
    log.warn(
        "Head of stream '{}' is still behind version {} after {} attempts; readers follow claims",
        KeyLayout.shown(streamId),
        target,
        HEAD_ATTEMPTS);
  }

  private static List<List<Long>> headEntries(List<StreamHead.Entry> entries) {
    List<List<Long>> values = new ArrayList<>(entries.size());
    for (StreamHead.Entry entry : entries) {
      values.add(DocumentCodec.headEntry(entry));
    }
    return values;
  }
}
