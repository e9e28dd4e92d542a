package io.cqrs.couchbase;

import com.couchbase.client.core.error.DocumentExistsException;
import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.TransientCqrsException;
import io.cqrs.spi.StreamAppend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends commits to streams. The order of writes is what makes a save atomic and the integration
 * log complete (see {@code docs/couchbase.md}):
 *
 * <ol>
 *   <li>check that the expected version is the stream's end (the head, and claims past it), and
 *       that no commit up to it is the effect of the same command (the head's command set, and the
 *       claims past it);
 *   <li>take a log sequence from the global counter, append it to the correlation index, and insert
 *       the commit document under it ({@link LogWriter#store});
 *   <li>insert the claim on the first new version, naming the sequence and the command: the commit
 *       point. Two writers of the same version cannot both insert it;
 *   <li>move the head on, recording the command (a hint; a failure here leaves the commit
 *       standing).
 * </ol>
 *
 * <p>Why the command check is atomic with the commit although it is read before it: a commit at
 * version {@code n} lands only through the exclusive claim on {@code n}, by a writer that saw the
 * stream end at {@code n - 1} and no effect of its command in versions {@code 1..n-1}; those
 * versions are fixed once committed. Two effects of one command at versions {@code m < n} would
 * need the second writer to have missed the first in {@code 1..n-1}, which it read.
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

  /**
   * Where the stream ends: the head read and the claims found past it, and the aggregate type the
   * stream was created for (null if none was recorded, or the stream is new).
   */
  private record Position(
      long headVersion, long headCas, List<StreamHead.Entry> beyond, String type) {}

  /**
   * Saves a commit.
   *
   * @param commit the commit document, carrying {@code command} and, for a new stream, the type
   * @param command the {@linkplain KeyLayout#commandHash hash} of the command the events are the
   *     effect of; null if none
   */
  void save(StreamAppend append, byte[] commit, String command) {
    String streamId = append.streamId();
    long expected = append.expectedVersion();
    Position position = locate(append, command);
    long first = expected + 1;
    long last = append.lastVersion();
    LogWriter.Stored stored =
        logWriter.store(
            commit,
            append.events(),
            "versions " + first + ".." + last + " of stream '" + KeyLayout.shown(streamId) + "'");
    // A new stream records its type in its first claim; an existing one keeps what it has.
    String type = expected == 0 ? append.aggregateType() : position.type();
    claim(streamId, expected, stored, last, command, append.commandId(), type);
    List<StreamHead.Entry> added = new ArrayList<>(position.beyond());
    added.add(new StreamHead.Entry(first, last, stored.seq(), command));
    try {
      updateHead(streamId, position.headVersion(), position.headCas(), added, type);
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
   * Checks that {@code expected} is where the stream ends, that the stream holds no effect of the
   * command, and that it was created for the append's aggregate type, if both are known. The head
   * is only a hint, but every version it names is a commit boundary, so {@code head == expected}
   * suffices; if the head lags, the claims past it are followed. A claim inserted since (by a
   * racing writer) is caught by the claim insert, the commit point.
   */
  private Position locate(StreamAppend append, String command) {
    String streamId = append.streamId();
    long expected = append.expectedVersion();
    String commandId = append.commandId();
    // One lookup whatever is asked: the head's version, its type, and the command's entry.
    Optional<StreamReader.HeadCheck> head = reader.headCheck(streamId, command);
    long headVersion = head.map(StreamReader.HeadCheck::version).orElse(0L);
    long headCas = head.map(StreamReader.HeadCheck::cas).orElse(0L);
    String type = head.map(StreamReader.HeadCheck::type).orElse(null);
    if (head.isPresent() && head.get().holdsCommand()) {
      throw new DuplicateCommandException(streamId, commandId);
    }
    if (headVersion > expected) {
      throw conflict(streamId, expected, headVersion);
    }
    List<StreamHead.Entry> beyond = List.of();
    if (headVersion < expected) {
      beyond = reader.claimsAfter(streamId, headVersion);
      long end = StreamReader.end(headVersion, beyond);
      for (StreamHead.Entry entry : beyond) {
        if (command != null && command.equals(entry.command()) && entry.last() <= expected) {
          throw new DuplicateCommandException(streamId, commandId);
        }
      }
      if (end != expected) {
        throw new ConcurrencyException(streamId, expected, end);
      }
      if (headVersion == 0 && !beyond.isEmpty()) {
        type = beyond.get(0).type(); // no head yet: the first claim records the type
      }
    }
    append.checkType(type);
    return new Position(headVersion, headCas, beyond, type);
  }

  /** Inserts the claim: the commit point. */
  private void claim(
      String streamId,
      long expected,
      LogWriter.Stored stored,
      long last,
      String command,
      String commandId,
      String type) {
    String key = keys.claim(streamId, expected + 1);
    try {
      kv.insertExclusive(
          key, codec.claim(stored.seq(), last, command, expected == 0 ? type : null));
    } catch (DocumentExistsException e) {
      StreamHead.Entry holder =
          kv.get(key)
              .map(doc -> codec.claim(key, doc.content(), streamId, expected + 1))
              .orElseThrow(() -> new IllegalStateException("claim '" + key + "' vanished", e));
      if (holder.seq() == stored.seq()) {
        return; // a log reader found our commit prepared and completed it for us
      }
      logWriter.abandon(stored, streamId);
      if (command != null && command.equals(holder.command())) {
        throw new DuplicateCommandException(streamId, commandId); // another delivery won
      }
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
  private void updateHead(
      String streamId, long version, long cas, List<StreamHead.Entry> added, String type) {
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
              ? kv.insert(key, codec.head(target, missing, type)) != 0
              : moveHead(key, cas, target, missing);
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

  /**
   * Appends {@code missing} to the head and records their commands, in one mutation when they fit,
   * else recording the commands first: the head's command set must never lag its version, since a
   * save that finds the head at its expected version trusts the set for every version below.
   */
  private boolean moveHead(String key, long cas, long target, List<StreamHead.Entry> missing) {
    Map<String, Long> commands = new LinkedHashMap<>();
    for (StreamHead.Entry entry : missing) {
      if (entry.command() != null) {
        commands.put(DocumentCodec.COMMANDS + "." + entry.command(), entry.first());
      }
    }
    int room = Kv.MAX_SPECS - 2;
    while (commands.size() > room) {
      Map<String, Long> chunk = new LinkedHashMap<>();
      var iterator = commands.entrySet().iterator();
      while (chunk.size() < Kv.MAX_SPECS && commands.size() > room) {
        var next = iterator.next();
        chunk.put(next.getKey(), next.getValue());
        iterator.remove();
      }
      cas = kv.upsertFields(key, cas, chunk);
      if (cas == 0) {
        return false;
      }
    }
    return kv.setAndAppend(key, cas, "v", target, "c", headEntries(missing), commands);
  }

  private static List<List<Long>> headEntries(List<StreamHead.Entry> entries) {
    List<List<Long>> values = new ArrayList<>(entries.size());
    for (StreamHead.Entry entry : entries) {
      values.add(DocumentCodec.headEntry(entry));
    }
    return values;
  }
}
