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
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Appends commits to streams, in three sequential round trips. The order of writes is what makes a
 * save atomic and the integration log complete (see {@code docs/couchbase.md}, with what a crash
 * between any two writes leaves):
 *
 * <ol>
 *   <li>at once: check that the expected version is the stream's end (the head, and claims past it)
 *       and that no commit up to it is the effect of the same command (the head's command set, and
 *       the claims past it; on a long stream, the command's bucket as well, read with the head if
 *       an earlier save of this writer saw the head's archive mark, else after it); and take a log
 *       sequence from the global counter. If the sequence is not above that of the commit the new
 *       one follows (the counter answered before that commit took its own), take another: the log's
 *       order must agree with every stream's;
 *   <li>at once: append the sequence to the correlation index and insert the commit document under
 *       it ({@link LogWriter#storeCommit});
 *   <li>insert the claim on the first new version, naming the sequence and the command: the commit
 *       point. Two writers of the same version cannot both insert it;
 *   <li>move the head on, recording the command, without waiting: the head is a hint, and every
 *       reader and writer follows the claims past it.
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

  /** How many streams' heads and archive marks a writer remembers; beyond, it forgets them. */
  static final int KNOWN_STREAMS = 4096;

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final StreamReader reader;
  private final LogWriter logWriter;
  private final RecentCommits recent;
  private final HeadArchive archive;
  private final Hook hook;
  private final InFlight inFlight;
  private final CommitResolver resolver;

  /**
   * The archive mark ({@code "a"}: archived through, pages) of streams whose head had pages when a
   * save's head lookup read it, recorded once that lookup was answered: see {@link
   * #bucketReadAhead} for why a command bucket read sent after it may go with the next save's head
   * lookup.
   */
  private final ForgetfulMap<String, Archived> archives = new ForgetfulMap<>(KNOWN_STREAMS);

  /** A head's archive mark: the last version it moved to pages, and how many pages it has. */
  private record Archived(long through, long pages) {}

  /**
   * Where this writer's own last update of each stream's head leaves it (at most {@link
   * #KNOWN_STREAMS} streams), recorded when the update is sent: a {@link #saveChecked checked save}
   * at that version moves the head on with the CAS that update returns, once it has, without
   * reading the head.
   */
  private final ForgetfulMap<String, HeadState> heads = new ForgetfulMap<>(KNOWN_STREAMS);

  /**
   * A head as this writer's update leaves it: at {@code version}, and what {@code after} completes
   * with once the update is answered.
   */
  private record HeadState(long version, CompletableFuture<HeadAfter> after) {}

  /**
   * The head after this writer's update: its CAS, and the version it had archived through as far as
   * the writer knows; {@link #UNKNOWN} if the update did not land as the writer's or an archive
   * followed it.
   */
  private record HeadAfter(long cas, long archivedThrough) {}

  private static final HeadAfter UNKNOWN = new HeadAfter(0, 0);

  StreamWriter(
      Kv kv,
      KeyLayout keys,
      DocumentCodec codec,
      StreamReader reader,
      LogWriter logWriter,
      RecentCommits recent,
      HeadArchive archive,
      Hook hook,
      InFlight inFlight,
      CommitResolver resolver) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.reader = reader;
    this.logWriter = logWriter;
    this.recent = recent;
    this.archive = archive;
    this.hook = hook;
    this.inFlight = inFlight;
    this.resolver = resolver;
  }

  /** The points between a save's writes, where a test stops or holds a save. */
  enum Step {
    /**
     * The increment (and a command bucket read sent ahead, if any) has been sent; the head lookup
     * of the same round trip has not.
     */
    SEQUENCE_ASKED,
    /** Round trip 1 is done: a sequence is taken and the stream's end checked; nothing written. */
    CHECKED,
    /** Round trip 2 is done: the index entries and the commit document are written; no claim. */
    STORED,
    /** Round trip 3 is done: the claim is inserted, so the commit stands; the head is not moved. */
    CLAIMED
  }

  /**
   * Called at each {@link Step} of every save, on the saving thread; a test throws to play a writer
   * that dies there, or blocks to hold the save while others run. Production uses {@link #NONE}.
   */
  interface Hook {
    Hook NONE = step -> {};

    void at(Step step);
  }

  /**
   * Where the stream ends: the head read and the claims found past it, the aggregate type the
   * stream was created for (null if none was recorded, or the stream is new), and the log sequence
   * of the commit the new one follows (0 if none).
   */
  private record Position(
      long headVersion,
      long headCas,
      List<StreamHead.Entry> beyond,
      String type,
      long lastSeq,
      long archivedThrough) {}

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
    long first = expected + 1;
    long last = append.lastVersion();
    // Round trip 1: the stream's end and a log sequence at once; on a stream whose head has moved
    // commands to buckets, the command's bucket too, if an earlier lookup saw the head's archive.
    Archived known = command == null ? null : archives.get(streamId);
    var checked =
        Kv.await(
            Mono.zip(
                Settled.of(kv.incrementAsync(keys.sequence()), "increment of the log sequence"),
                known == null
                    ? Mono.just(NOT_READ)
                    : Settled.of(
                        kv.pathExistsAsync(
                            keys.commandBucket(streamId, command),
                            DocumentCodec.COMMANDS + "." + command),
                        "lookup of a command of '" + KeyLayout.shown(streamId) + "'"),
                Settled.of(
                    Mono.defer(
                        () -> {
                          hook.at(Step.SEQUENCE_ASKED);
                          return reader.headCheckAsync(streamId, command);
                        }),
                    "lookup of the head of '" + KeyLayout.shown(streamId) + "'")),
            "check of stream '" + KeyLayout.shown(streamId) + "'");
    long seq = checked.getT1().get();
    Position position;
    try {
      Optional<StreamReader.HeadCheck> head = checked.getT3().get();
      rememberArchive(streamId, head);
      Boolean inBucket = bucketReadAhead(known, checked.getT2(), head);
      position = locate(append, command, head, inBucket);
    } catch (RuntimeException e) {
      logWriter.giveBack(seq); // so that log readers need not wait for it
      throw e;
    }
    if (seq <= position.lastSeq()) {
      // The counter answered before the commit this one follows took its sequence: stored under
      // this one, the commit would come before its predecessor in the log. A sequence taken now,
      // after this writer saw that commit, is above it.
      logWriter.giveBack(seq);
      seq = kv.increment(keys.sequence());
    }
    hook.at(Step.CHECKED);
    // A new stream records its type in its first claim; an existing one keeps what it has.
    String type = expected == 0 ? append.aggregateType() : position.type();
    LogWriter.Stored stored = storeAndClaim(append, seq, commit, command, type);
    List<StreamHead.Entry> added = new ArrayList<>(position.beyond());
    added.add(new StreamHead.Entry(first, last, stored.seq(), command));
    moveHeadInBackground(
        streamId,
        updateHead(streamId, position.headVersion(), position.headCas(), added, type, 0)
            .map(cas -> new HeadAfter(cas, position.archivedThrough())),
        last);
  }

  /**
   * Round trips 2 and 3 of a save that has taken sequence {@code seq}: the index entries and the
   * commit document at once, then the claim, the commit point ({@code type} recorded in it if the
   * stream is new).
   */
  private LogWriter.Stored storeAndClaim(
      StreamAppend append, long seq, byte[] commit, String command, String type) {
    String streamId = append.streamId();
    long expected = append.expectedVersion();
    long first = expected + 1;
    long last = append.lastVersion();
    LogWriter.Stored stored =
        logWriter.storeCommit(
            seq,
            commit,
            append.events(),
            "versions " + first + ".." + last + " of stream '" + KeyLayout.shown(streamId) + "'");
    hook.at(Step.STORED);
    claim(streamId, expected, stored, last, command, append.commandId(), type);
    recent.claimed(keys.claim(streamId, first), last, stored.seq());
    resolver.committed(stored.seq(), append.events(), keys.claim(streamId, first));
    hook.at(Step.CLAIMED);
    return stored;
  }

  /**
   * Saves a commit whose caller has proven that the expected version ends a commit and that no
   * commit up to it is the command's effect ({@link
   * io.cqrs.spi.EventStreamRepository#saveChecked}): the head lookup of round trip 1 only re-checks
   * that, so it is left out, and the increment alone makes the round trip. Its sequence is above
   * that of the commit the new one follows, since that commit was claimed, and so had taken its
   * sequence, before the caller's proof, which came before this save. The claim stays exclusive: a
   * writer that committed the version meanwhile, for this command or another, makes this save fail
   * as {@link #save} would. The head moves with the CAS this writer's last update of it returned;
   * if the head is not known to stand at the expected version, the save is {@link #save}.
   */
  void saveChecked(StreamAppend append, byte[] commit, String command) {
    String streamId = append.streamId();
    long expected = append.expectedVersion();
    HeadState head = heads.get(streamId);
    if (head == null || head.version() != expected || expected == 0) {
      save(append, commit, command);
      return;
    }
    long first = expected + 1;
    long last = append.lastVersion();
    try {
      // Round trip 1: a log sequence.
      long seq = kv.increment(keys.sequence());
      hook.at(Step.CHECKED);
      LogWriter.Stored stored = storeAndClaim(append, seq, commit, command, null);
      List<StreamHead.Entry> added =
          List.of(new StreamHead.Entry(first, last, stored.seq(), command));
      moveHeadInBackground(
          streamId,
          Mono.fromFuture(head.after())
              .flatMap(
                  before ->
                      before.cas() != 0
                          ? updateHead(streamId, expected, before.cas(), added, null, 0)
                              .map(cas -> new HeadAfter(cas, before.archivedThrough()))
                          : repairHead(streamId, last)),
          last);
    } catch (RuntimeException e) {
      heads.remove(streamId, head); // another writer may be ahead: read the head next time
      throw e;
    }
  }

  /**
   * Moves the head on to {@code last} as an ordinary save would, for a checked save whose writer's
   * update before did not land as its own (it failed, another writer moved the head first, an
   * archive followed it): reads the head and the claims past it, and appends them up to its own
   * commit (the head of a later commit of this writer is that commit's update's to move). Emits the
   * head after it, or {@link #UNKNOWN}'s CAS if the head stands at or past {@code last} already or
   * this writer lost the race again.
   */
  private Mono<HeadAfter> repairHead(String streamId, long last) {
    return reader
        .headCheckAsync(streamId, null)
        .flatMap(
            now -> {
              long at = now.map(StreamReader.HeadCheck::version).orElse(0L);
              long archivedThrough = now.map(StreamReader.HeadCheck::archivedThrough).orElse(0L);
              if (at >= last) {
                return Mono.just(new HeadAfter(0, archivedThrough)); // moved past us already
              }
              long cas = now.map(StreamReader.HeadCheck::cas).orElse(0L);
              return reader
                  .claimsAfterAsync(streamId, at)
                  .map(
                      // Only up to this commit: this writer's later saves, whose updates follow
                      // this one, append theirs, and expect the head to stand at this commit.
                      chain -> chain.stream().filter(entry -> entry.last() <= last).toList())
                  .flatMap(
                      beyond -> {
                        if (beyond.isEmpty() || beyond.get(beyond.size() - 1).last() != last) {
                          // The chain does not reach this commit (a claim removed by hand): the
                          // head is left to the next ordinary save, and the next checked save's
                          // update must not trust where this one would leave it.
                          return Mono.just(new HeadAfter(0, archivedThrough));
                        }
                        // No head yet: the first claim records the stream's type.
                        String type =
                            now.map(StreamReader.HeadCheck::type).orElse(beyond.get(0).type());
                        return updateHead(streamId, at, cas, beyond, type, 1)
                            .map(moved -> new HeadAfter(moved, archivedThrough));
                      });
            });
  }

  /**
   * Sends the head's update and returns: it needs no answer, since a head that lags (or never
   * moves, if this process dies now) only makes readers and the next writer follow the claims past
   * it, and the next save of the stream repairs it. Records where it leaves the head, at {@code
   * last}, so that the next checked save of the stream chains its own update on it.
   *
   * @param update the update, emitting the head's CAS after it (0 if it did not land as ours) and
   *     the version the head had archived through
   */
  private void moveHeadInBackground(String streamId, Mono<HeadAfter> update, long last) {
    CompletableFuture<HeadAfter> after = new CompletableFuture<>();
    rememberHead(streamId, new HeadState(last, after));
    inFlight
        .track(
            update
                .flatMap(
                    head -> {
                      boolean due = archive.due(last, head.archivedThrough());
                      // An archive replaces the head: its CAS and archive mark are then unknown.
                      after.complete(due || head.cas() == 0 ? UNKNOWN : head);
                      return due
                          ? archive.archive(streamId).onErrorResume(e -> archiveFailed(streamId, e))
                          : Mono.<Void>empty();
                    })
                .doFinally(signal -> after.complete(UNKNOWN)))
        .subscribe(
            null,
            e ->
                log.warn(
                    "Committed version {} of stream '{}' but could not move its head; readers"
                        + " follow the claims and the next save repairs it",
                    last,
                    KeyLayout.shown(streamId),
                    e));
  }

  private static Mono<Void> archiveFailed(String streamId, Throwable e) {
    log.warn(
        "Could not move the oldest commits of stream '{}' out of its head; the head keeps them"
            + " until a later save's archive succeeds",
        KeyLayout.shown(streamId),
        e);
    return Mono.empty();
  }

  /**
   * Records that this writer's update being sent leaves the head of {@code streamId} at {@code
   * state}, unless a record of a later version is there already.
   */
  private void rememberHead(String streamId, HeadState state) {
    // Forgotten at capacity: that costs a head lookup on the next save, never a wrong answer.
    heads.merge(
        streamId, state, (held, offered) -> offered.version() >= held.version() ? offered : held);
  }

  /** A command bucket read that was not sent. */
  private static final Settled<Boolean> NOT_READ = new Settled<>(null, null);

  /** Records the archive mark of a head with pages, which a later save's bucket read relies on. */
  private void rememberArchive(String streamId, Optional<StreamReader.HeadCheck> head) {
    if (head.isEmpty() || head.get().pages() == 0) {
      return;
    }
    // Forgotten at capacity: that costs a sequential bucket read, never a wrong answer.
    archives.put(streamId, new Archived(head.get().archivedThrough(), head.get().pages()));
  }

  /**
   * Whether the command's bucket, read in the same round trip as the head, holds the command; null
   * if that read does not count and the bucket must be read after the head.
   *
   * <p>The bucket must be read after the head, because an archiver copies a command to its bucket
   * before it replaces the head without it: a read before the head's could miss a command that the
   * head no longer lists. A read sent with the head's lookup is not ordered with it, but it was
   * sent after an earlier lookup, already answered, saw the archive mark {@code known}. If this
   * lookup sees the same mark, no archiver replaced the head in between (a mark only grows, and
   * every replace changes it), so a command missing from the head now was missing from it then too,
   * or was moved out before then, and was in its bucket before the read was sent.
   */
  private static Boolean bucketReadAhead(
      Archived known, Settled<Boolean> read, Optional<StreamReader.HeadCheck> head) {
    if (known == null || read.failure() != null || head.isEmpty()) {
      return null;
    }
    boolean unchanged =
        head.get().archivedThrough() == known.through() && head.get().pages() == known.pages();
    return unchanged ? read.value() : null;
  }

  /**
   * Checks that {@code expected} is where the stream ends, that the stream holds no effect of the
   * command, and that it was created for the append's aggregate type, if both are known. The head
   * is only a hint, but every version it names is a commit boundary, so {@code head == expected}
   * suffices; if the head lags, the claims past it are followed. A claim inserted since (by a
   * racing writer) is caught by the claim insert, the commit point.
   */
  private Position locate(
      StreamAppend append,
      String command,
      Optional<StreamReader.HeadCheck> head,
      Boolean inBucket) {
    String streamId = append.streamId();
    long expected = append.expectedVersion();
    String commandId = append.commandId();
    long headVersion = head.map(StreamReader.HeadCheck::version).orElse(0L);
    long headCas = head.map(StreamReader.HeadCheck::cas).orElse(0L);
    String type = head.map(StreamReader.HeadCheck::type).orElse(null);
    if (head.isPresent() && head.get().holdsCommand()) {
      throw new DuplicateCommandException(streamId, commandId);
    }
    long archivedThrough = head.map(StreamReader.HeadCheck::archivedThrough).orElse(0L);
    if (command != null && head.isPresent() && head.get().pages() > 0) {
      // The head has moved older commands to buckets: read the command's bucket after the head,
      // unless a read sent with it counts (bucketReadAhead). An archiver copies commands to their
      // buckets before it replaces the head without them, so a command missing from the head read
      // above was in its bucket before this read.
      boolean found =
          inBucket != null
              ? inBucket
              : kv.pathExists(
                  keys.commandBucket(streamId, command), DocumentCodec.COMMANDS + "." + command);
      if (found) {
        throw new DuplicateCommandException(streamId, commandId);
      }
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
    long lastSeq =
        !beyond.isEmpty()
            ? beyond.get(beyond.size() - 1).seq()
            : head.map(StreamReader.HeadCheck::lastSeq).orElse(0L);
    return new Position(headVersion, headCas, beyond, type, lastSeq, archivedThrough);
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
      logWriter.abandon(stored, "stream '" + KeyLayout.shown(streamId) + "'");
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
              + "' may or may not have been committed, and may still be by a log reader: a"
              + " reload showing the old version does not settle it; retrying the save at the"
              + " same expected version does (a conflict then if it was committed)",
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
   * CAS so that the head only ever lists the stream's commits contiguously. Sent from the saving
   * thread; a retry after a lost race runs on the thread that read the answer. Emits the head's CAS
   * after this writer's update, or 0 if another writer moved it past the commits first, or this one
   * gave up.
   */
  private Mono<Long> updateHead(
      String streamId,
      long version,
      long cas,
      List<StreamHead.Entry> added,
      String type,
      int attempt) {
    String key = keys.head(streamId);
    long target = added.get(added.size() - 1).last();
    if (version >= target) {
      return Mono.just(0L); // the head lists the commits already
    }
    if (attempt >= HEAD_ATTEMPTS) {
      log.warn(
          "Head of stream '{}' is still behind version {} after {} attempts; readers follow"
              + " claims",
          KeyLayout.shown(streamId),
          target,
          HEAD_ATTEMPTS);
      return Mono.just(0L);
    }
    List<StreamHead.Entry> missing = new ArrayList<>();
    for (StreamHead.Entry entry : added) {
      if (entry.first() > version) {
        missing.add(entry);
      }
    }
    if (!missing.isEmpty() && missing.get(0).first() != version + 1) {
      // The head stands below the commits this writer knows of (a failover lost commits it had
      // listed, say): appending would leave a gap in it. Readers follow the claims past it.
      log.warn(
          "Head of stream '{}' is at version {}, below the commits being added from {}; left for"
              + " readers to follow the claims",
          KeyLayout.shown(streamId),
          version,
          missing.get(0).first());
      return Mono.just(0L);
    }
    Mono<Long> written =
        cas == 0
            ? kv.insertAsync(key, codec.head(target, missing, type))
            : moveHead(key, cas, target, missing);
    return written.flatMap(
        done -> {
          if (done != 0) {
            return Mono.just(done);
          }
          return reader
              .headVersionAsync(streamId)
              .flatMap(
                  now -> {
                    long nowVersion = now.map(Kv.NumberField::value).orElse(0L);
                    if (nowVersion >= target) {
                      return Mono.just(0L); // another writer moved it past our commit, listing it
                    }
                    long nowCas = now.map(Kv.NumberField::cas).orElse(0L);
                    return updateHead(streamId, nowVersion, nowCas, added, type, attempt + 1);
                  });
        });
  }

  /**
   * Appends {@code missing} to the head and records their commands, in one mutation when they fit,
   * else recording the commands first: the head's command set must never lag its version, since a
   * save that finds the head at its expected version trusts the set for every version below. Emits
   * the new CAS, or 0 if the head changed first.
   */
  private Mono<Long> moveHead(String key, long cas, long target, List<StreamHead.Entry> missing) {
    Map<String, Long> commands = new LinkedHashMap<>();
    for (StreamHead.Entry entry : missing) {
      if (entry.command() != null) {
        commands.put(DocumentCodec.COMMANDS + "." + entry.command(), entry.first());
      }
    }
    return moveHead(key, cas, target, missing, commands);
  }

  private Mono<Long> moveHead(
      String key,
      long cas,
      long target,
      List<StreamHead.Entry> missing,
      Map<String, Long> commands) {
    int room = Kv.MAX_SPECS - 2;
    if (commands.size() <= room) {
      return kv.setAndAppendAsync(key, cas, "v", target, "c", headEntries(missing), commands);
    }
    // Only a head repaired over many dead writers' commits gets here: the commands that do not
    // fit go first, in chunks, along the same CAS chain.
    Map<String, Long> chunk = new LinkedHashMap<>();
    var iterator = commands.entrySet().iterator();
    while (chunk.size() < Kv.MAX_SPECS && commands.size() > room) {
      var next = iterator.next();
      chunk.put(next.getKey(), next.getValue());
      iterator.remove();
    }
    return kv.upsertFieldsAsync(key, cas, chunk)
        .flatMap(
            next -> next == 0 ? Mono.just(0L) : moveHead(key, next, target, missing, commands));
  }

  private static List<List<Long>> headEntries(List<StreamHead.Entry> entries) {
    List<List<Long>> values = new ArrayList<>(entries.size());
    for (StreamHead.Entry entry : entries) {
      values.add(DocumentCodec.headEntry(entry));
    }
    return values;
  }
}
