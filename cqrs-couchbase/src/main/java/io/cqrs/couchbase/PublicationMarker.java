package io.cqrs.couchbase;

import io.cqrs.SerializationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Marks stream events published by adding a {@linkplain PublicationMarks mark} to the claim of each
 * commit that holds them. The claim is the document the log reader already fetches to decide
 * whether a commit stands, so the marks cost readers nothing.
 *
 * <p>A range that starts at a commit's first version (what {@link io.cqrs.EventSourcingRepository}
 * marks after each publish) costs one round trip: the mark is added to the claim at that version
 * while its last version is looked up, in parallel; for a commit this repository has just claimed,
 * whose last version it knows ({@link RecentCommits}), the add alone. A range that starts inside a
 * commit (a relay batch that ended mid-commit) first reads the stream's head to find the commit.
 * Versions past the stream's end are ignored.
 */
final class PublicationMarker {
  private static final Logger log = LoggerFactory.getLogger(PublicationMarker.class);

  private final Kv kv;
  private final RelayKv relayKv;
  private final KeyLayout keys;
  private final StreamReader reader;
  private final RecentCommits recent;
  private final CommitResolver resolver;
  private final InFlight inFlight;
  private final OwedMarks owed;
  private final DocumentCodec codec;

  PublicationMarker(
      Kv kv,
      RelayKv relayKv,
      KeyLayout keys,
      StreamReader reader,
      RecentCommits recent,
      CommitResolver resolver,
      InFlight inFlight,
      OwedMarks owed,
      DocumentCodec codec) {
    this.kv = kv;
    this.relayKv = relayKv;
    this.keys = keys;
    this.reader = reader;
    this.recent = recent;
    this.resolver = resolver;
    this.inFlight = inFlight;
    this.owed = owed;
    this.codec = codec;
  }

  /**
   * Whether {@code fromVersion..toVersion} is one commit this repository has just claimed: its
   * claim exists and its last version is known, so {@link #markInBackground} alone marks it.
   */
  boolean canMarkInBackground(String streamId, long fromVersion, long toVersion) {
    long known = recent.last(keys.claim(streamId, fromVersion));
    return known != 0 && toVersion <= known;
  }

  /**
   * Sends the mark of a range {@link #canMarkInBackground} accepted without waiting for it: a lost
   * add only lets the relay publish the events again. The stage completes once the mark is written.
   * Once the server has a mark of the whole commit, this repository's log readers are told ({@link
   * CommitResolver#published}), so its relay does not read the claim again to see it.
   */
  CompletionStage<Void> markInBackground(String streamId, long fromVersion, long toVersion) {
    String key = keys.claim(streamId, fromVersion);
    // Marked: a later mark of the commit needs no shortcut.
    RecentCommits.Claimed claimed = recent.take(key);
    boolean wholeCommit = claimed != null && toVersion == claimed.last();
    write(owed.expired());
    if (wholeCommit && owed.owe(claimed.seq(), key, fromVersion, toVersion)) {
      // This process's relay leads: it learns here that the commit is published.
      resolver.published(claimed.seq(), key, fromVersion, toVersion);
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    inFlight
        .track(
            relayKv.addUniqueAsync(
                key, PublicationMarks.FIELD, PublicationMarks.range(fromVersion, toVersion)))
        .subscribe(
            exists -> {
              // The add answers false only if the claim is missing, which a commit this
              // repository claimed never is; then nothing is assumed.
              if (exists && wholeCommit) {
                resolver.published(claimed.seq(), key, fromVersion, toVersion);
              }
              done.complete(null);
            },
            done::completeExceptionally,
            () -> done.complete(null));
    return done;
  }

  /**
   * Writes marks that were owed ({@link OwedMarks}) in the background: this process's relay no
   * longer leads, so another relay reads the claims. A mark that fails is logged: the events are
   * then published again by that relay (at least once).
   */
  void write(List<OwedMarks.Owed> marks) {
    if (marks.isEmpty()) {
      return;
    }
    // One line for a batch that fails (a store that is down fails every mark alike).
    AtomicBoolean warned = new AtomicBoolean();
    for (OwedMarks.Owed mark : marks) {
      inFlight
          .track(
              relayKv.addUniqueAsync(
                  mark.claimKey(),
                  PublicationMarks.FIELD,
                  PublicationMarks.range(mark.first(), mark.last())))
          .subscribe(
              done -> owed.written(mark),
              e -> {
                if (warned.compareAndSet(false, true)) {
                  log.warn(
                      "Could not write {} publication mark(s) this process owed, one on '{}'"
                          + " ({}); a relay may publish their events again",
                      marks.size(),
                      mark.claimKey(),
                      e.toString());
                }
              });
    }
  }

  /**
   * Writes handed-back marks now and waits for them: a relay's checkpoint is about to pass their
   * commits, which this process's readers took for published from the marks it owed.
   */
  void writeNow(List<OwedMarks.Owed> marks) {
    // All at once, each acknowledged as it lands: one round trip for the lot, not one per mark.
    List<Mono<Boolean>> writes = new ArrayList<>(marks.size());
    for (OwedMarks.Owed mark : marks) {
      writes.add(
          relayKv
              .addUniqueAsync(
                  mark.claimKey(),
                  PublicationMarks.FIELD,
                  PublicationMarks.range(mark.first(), mark.last()))
              .doOnSuccess(done -> owed.written(mark)));
    }
    Kv.await(
        Mono.when(writes),
        marks.size() + " publication mark(s), one on '" + marks.get(0).claimKey() + "'");
  }

  /**
   * Records that this process's relay passed {@code runs}, each in one unbroken run, and forgot
   * marks it was owed there: readers of other processes find those commits unmarked, and this
   * document says they reached the bus ({@link LogReader}). The runs are added to the ranges
   * already there ({@link PassedRanges}) with a CAS, so that no write undoes another; a malformed
   * document is replaced, and one that would not change is not written. Counted in flight, so that
   * a closing repository waits for it.
   *
   * @return a stage that emits true once the document holds the runs, false if it was changed by
   *     others at every attempt, or fails as the store did; the caller keeps the runs to record
   *     again unless it emits true
   */
  Mono<Boolean> recordPassed(PassedRanges runs) {
    return inFlight.track(addPassed(runs, 0));
  }

  private static final int RECORD_ATTEMPTS = 4;

  private Mono<Boolean> addPassed(PassedRanges runs, int attempt) {
    if (attempt >= RECORD_ATTEMPTS) {
      return Mono.just(false); // contended: the caller tries again later
    }
    String key = keys.relayed();
    return kv.getAsync(key)
        .flatMap(
            found -> {
              if (found.isEmpty()) {
                return kv.insertAsync(key, codec.relayed(PassedRanges.NONE.with(runs)))
                    .flatMap(cas -> cas != 0 ? Mono.just(true) : addPassed(runs, attempt + 1));
              }
              PassedRanges now;
              try {
                now = codec.relayed(key, found.get().content());
              } catch (SerializationException e) {
                log.warn("Replacing '{}', which was malformed: {}", key, e.getMessage());
                now = PassedRanges.NONE;
              }
              PassedRanges merged = now.with(runs);
              if (merged.equals(now)) {
                return Mono.just(true); // held already: nothing to write
              }
              return kv.replaceAsync(key, codec.relayed(merged), found.get().cas())
                  .flatMap(done -> done ? Mono.just(true) : addPassed(runs, attempt + 1));
            });
  }

  void mark(String streamId, long fromVersion, long toVersion) {
    long version = fromVersion;
    while (version <= toVersion) {
      Optional<Long> last = markCommitAt(streamId, version, toVersion);
      if (last.isEmpty()) {
        Optional<StreamHead.Entry> holding = commitHolding(streamId, version);
        if (holding.isEmpty()) {
          return; // past the stream's end: nothing there to mark
        }
        mark(streamId, holding.get().first(), version, toVersion);
        last = Optional.of(holding.get().last());
      }
      version = last.get() + 1;
    }
  }

  /**
   * Marks {@code version..toVersion} on the claim at {@code version}, if a commit starts there.
   *
   * @return the commit's last version; empty if no commit starts at {@code version}
   */
  private Optional<Long> markCommitAt(String streamId, long version, long toVersion) {
    String key = keys.claim(streamId, version);
    String range = PublicationMarks.range(version, toVersion);
    RecentCommits.Claimed known = recent.take(key);
    if (known != null) {
      mark(streamId, version, version, toVersion); // the claim exists: this repository wrote it
      return Optional.of(known.last());
    }
    var both =
        Kv.await(
            Mono.zip(
                relayKv.addUniqueAsync(key, PublicationMarks.FIELD, range),
                kv.lookupNumberAsync(key, "l").onErrorMap(e -> corrupt(key, streamId, e))),
            "publication mark on '" + key + "'");
    if (both.getT2().isEmpty()) {
      return Optional.empty();
    }
    if (!both.getT1()) {
      mark(streamId, version, version, toVersion); // the claim landed between the two reads
    }
    return Optional.of(both.getT2().get().value());
  }

  /** Adds the mark of {@code from..to} to the claim of the commit starting at {@code first}. */
  private void mark(String streamId, long first, long from, long to) {
    String key = keys.claim(streamId, first);
    Kv.await(
        relayKv.addUniqueAsync(key, PublicationMarks.FIELD, PublicationMarks.range(from, to)),
        "publication mark on '" + key + "'");
  }

  /** The commit holding {@code version}: from the head, or the claims past it. */
  private Optional<StreamHead.Entry> commitHolding(String streamId, long version) {
    StreamHead head = reader.head(streamId);
    List<StreamHead.Entry> commits =
        head.version() >= version
            ? reader.commitsFrom(streamId, head, version)
            : reader.claimsAfter(streamId, head.version());
    for (StreamHead.Entry commit : commits) {
      if (commit.first() <= version && version <= commit.last()) {
        return Optional.of(commit);
      }
    }
    return Optional.empty();
  }

  private static Throwable corrupt(String key, String streamId, Throwable error) {
    return error instanceof SerializationException e
        ? DocumentCodec.corrupt(key, streamId, e)
        : error;
  }
}
