package io.cqrs.couchbase;

import io.cqrs.TransientCqrsException;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.StreamPreconditions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The {@link RelayStore} half of {@link CouchbaseEventStreamRepository}: validates arguments and
 * marks commits published in their claims (see {@code docs/couchbase-relay.md}). The relay's lease
 * and checkpoint are a processor's claim ({@link ProcessorDocuments}).
 */
final class RelayDocuments implements RelayStore {
  private static final Logger log = LoggerFactory.getLogger(RelayDocuments.class);

  private final KeyLayout keys;
  private final PublicationMarker marker;
  private final OwedMarks owed;
  private final AtomicBoolean expiryCheck = new AtomicBoolean();

  RelayDocuments(
      Kv kv,
      RelayKv relayKv,
      KeyLayout keys,
      StreamReader reader,
      RecentCommits recent,
      CommitResolver resolver,
      InFlight inFlight,
      OwedMarks owed,
      DocumentCodec codec) {
    this.keys = keys;
    this.owed = owed;
    this.marker =
        new PublicationMarker(kv, relayKv, keys, reader, recent, resolver, inFlight, owed, codec);
  }

  /**
   * A claim of {@code processor} was asked for at {@code askedAt} ({@link OwedMarks#now}) and
   * answered {@code got}: if it is a relay's lease, this process's relay leads, and marks of what
   * this process publishes are owed while it does, or it does not, and the marks owed are written.
   */
  void claimed(String processor, Duration ttl, Optional<SegmentClaim> got, long askedAt) {
    if (!OwedMarks.isRelay(processor)) {
      return;
    }
    if (got.isEmpty()) {
      lost(processor);
      return;
    }
    SegmentClaim lease = got.get();
    passed(owed.leased(processor, ttl, lease.checkpoint(), lease.token(), askedAt));
    marker.write(owed.takeToSend());
    checkExpiryLater();
  }

  /**
   * Before the relay's checkpoint is saved at {@code position}: if saving it may forget marks this
   * process owes, records the run it passes in the relays' record first, and waits for it. The
   * record is what tells readers of other processes that those commits reached the bus once the
   * marks are forgotten; written after the checkpoint (as it was, in the background), a process
   * killed in between left them looking unpublished for good, since every later relay starts past
   * the checkpoint (a scale-out run with a SIGKILL left 22 so).
   *
   * @throws TransientCqrsException if the record could not be written: the checkpoint is then not
   *     saved, the marks stay owed, and the relay's pass is repeated
   */
  void beforeCheckpoint(String processor, long token, long position) {
    if (!OwedMarks.isRelay(processor)) {
      return;
    }
    OwedMarks.Guard guard = owed.guard(processor, token, position);
    List<OwedMarks.Owed> due = guard.write();
    if (!due.isEmpty()) {
      try {
        marker.writeNow(due);
      } catch (RuntimeException e) {
        throw new TransientCqrsException(
            "Could not write "
                + due.size()
                + " handed-back publication mark(s) before saving the"
                + " relay's checkpoint past them; the checkpoint is not saved and the pass is"
                + " repeated",
            e);
      }
    }
    long[] run = guard.run();
    if (run == null) {
      return;
    }
    PassedRanges runs = PassedRanges.NONE.with(run[0], run[1]);
    Boolean recorded;
    try {
      recorded = marker.recordPassed(runs).block();
    } catch (RuntimeException e) {
      throw notRecordedAhead(runs, e.toString(), e);
    }
    if (!Boolean.TRUE.equals(recorded)) {
      throw notRecordedAhead(runs, "the document was changed by others at every attempt", null);
    }
    recordedAhead = run;
  }

  /**
   * The failure of {@link #beforeCheckpoint}. The run is still true (the relay saves a checkpoint
   * only once everything before it reached the bus), so it is written again a second later, as a
   * failed background write is: readers of other processes then see those commits published even if
   * no pass follows.
   */
  private TransientCqrsException notRecordedAhead(PassedRanges runs, String why, Throwable cause) {
    synchronized (recording) {
      unrecorded = unrecorded.with(runs);
    }
    retryLater();
    return new TransientCqrsException(
        "Could not record that the relay passed "
            + runs
            + " before saving its checkpoint ("
            + why
            + "); the checkpoint is not saved and the pass is repeated",
        cause);
  }

  // The run beforeCheckpoint recorded last: the save it preceded need not record it again.
  private volatile long[] recordedAhead;

  /** The relay's checkpoint was saved at {@code position}: the marks it passed are forgotten. */
  void checkpointSaved(String processor, long position) {
    if (!OwedMarks.isRelay(processor)) {
      return;
    }
    long[] run = owed.passed(processor, position);
    marker.write(owed.takeToSend());
    long[] ahead = recordedAhead;
    if (run != null && ahead != null && ahead[0] <= run[0] && run[1] <= ahead[1]) {
      run = null; // recorded before the checkpoint was saved
    }
    passed(run);
  }

  /**
   * How often at most the relays' record is written: each write is a get and a CAS replace, and
   * readers of other processes see what the relay passed only once it is written.
   */
  private static final long RECORD_EVERY_NANOS = 250_000_000L;

  private final Object recording = new Object();
  // The runs to record next, and those whose write failed; guarded by recording.
  private PassedRanges unrecorded = PassedRanges.NONE;
  private long recordedAt = System.nanoTime() - RECORD_EVERY_NANOS; // guarded by recording
  private boolean closed; // guarded by recording
  private boolean triedAgainAtClose; // guarded by recording
  private final AtomicBoolean recordLater = new AtomicBoolean();

  /**
   * How long after a failed write its runs are written again, unless something writes them first.
   */
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final AtomicBoolean retryLater = new AtomicBoolean();

  /**
   * A pass forgot owed marks in {@code run} (null: none): the run goes into the relays' record, at
   * most every {@link #RECORD_EVERY_NANOS} (a quiet relay forgets a mark or two per pass, and two
   * operations per pass would cost more than the marks), the last one by a timer, so that readers
   * of other processes see it within seconds even if no pass follows. A pass that forgot nothing
   * still writes the runs whose write failed: with the log quiet, no pass forgets anything again.
   */
  private void passed(long[] run) {
    long wait;
    synchronized (recording) {
      if (run != null) {
        unrecorded = unrecorded.with(run[0], run[1]);
      }
      if (unrecorded.isEmpty()) {
        return;
      }
      wait = recordedAt + RECORD_EVERY_NANOS - System.nanoTime();
    }
    if (wait <= 0) {
      record();
    } else if (recordLater.compareAndSet(false, true)) {
      Mono.delay(Duration.ofNanos(wait))
          .subscribe(
              tick -> {
                recordLater.set(false);
                record();
              },
              e -> recordLater.set(false));
    }
  }

  /**
   * Writes the runs not yet recorded, if any. A write that fails or loses every CAS puts its runs
   * back, beside any recorded since, for the next pass, the lease's loss or the repository's close
   * to write: dropped, they would leave commits looking unpublished to other processes for good,
   * and published again by a relay reset back. One that fails once the repository closes is tried
   * once more (the repository waits for it, as for any write in flight), then given up.
   */
  private void record() {
    PassedRanges runs;
    synchronized (recording) {
      runs = unrecorded;
      unrecorded = PassedRanges.NONE;
      recordedAt = System.nanoTime();
    }
    if (runs.isEmpty()) {
      return;
    }
    marker
        .recordPassed(runs)
        .subscribe(
            recorded -> {
              if (!recorded) {
                notRecorded(runs, "the document was changed by others at every attempt");
              }
            },
            e -> notRecorded(runs, e.toString()));
  }

  private void notRecorded(PassedRanges runs, String why) {
    boolean again;
    boolean givenUp;
    synchronized (recording) {
      unrecorded = runs.with(unrecorded); // the newer runs recorded last
      again = closed && !triedAgainAtClose;
      givenUp = closed && triedAgainAtClose;
      triedAgainAtClose |= closed;
      if (givenUp) {
        unrecorded = PassedRanges.NONE;
      }
    }
    if (again) {
      record(); // the repository closes: its last chance
    } else if (givenUp) {
      log.warn(
          "Could not record that the relay passed {} ({}): readers of other processes find those"
              + " commits unpublished, and a relay reset back before them publishes them again",
          runs,
          why);
    } else {
      log.debug("Could not record that the relay passed {}, to try again: {}", runs, why);
      retryLater();
    }
  }

  /**
   * Writes the runs put back after a failed write again in {@link #RETRY_AFTER}, should nothing
   * write them before: with the log quiet, or the relay gone from this process, no pass would, and
   * they would wait for the repository's close. One retry pending at a time.
   */
  private void retryLater() {
    if (retryLater.compareAndSet(false, true)) {
      Mono.delay(RETRY_AFTER)
          .subscribe(
              tick -> {
                retryLater.set(false);
                record();
              },
              e -> retryLater.set(false));
    }
  }

  /** A relay lease was lost or given up: the marks owed are written, unless another relay leads. */
  void lost(String processor) {
    if (OwedMarks.isRelay(processor)) {
      record();
      marker.write(owed.lost(processor));
    }
  }

  /**
   * The repository closes: the runs not yet recorded are written, and every mark owed (close waits
   * for them), none owed after.
   */
  void close() {
    synchronized (recording) {
      closed = true;
    }
    record();
    marker.write(owed.drain());
  }

  /**
   * Writes the marks owed once the lease runs out here without a renewal (a relay whose thread died
   * or hangs), even if no command comes to notice: one timer at a time, at the lease's end.
   */
  private void checkExpiryLater() {
    if (!expiryCheck.compareAndSet(false, true)) {
      return;
    }
    Mono.delay(Duration.ofNanos(Math.max(owed.nanosLeft(), 1_000_000)))
        .subscribe(
            tick -> {
              expiryCheck.set(false);
              marker.write(owed.expired());
              if (owed.nanosLeft() > 0) {
                checkExpiryLater();
              }
            },
            e -> expiryCheck.set(false)); // a scheduler that refused it: the next claim tries again
  }

  @Override
  public void markPublished(String streamId, long fromVersion, long toVersion) {
    check(streamId, fromVersion, toVersion);
    marker.mark(streamId, fromVersion, toVersion);
  }

  @Override
  public CompletionStage<Void> markPublishedAsync(
      String streamId, long fromVersion, long toVersion) {
    check(streamId, fromVersion, toVersion);
    if (marker.canMarkInBackground(streamId, fromVersion, toVersion)) {
      return marker.markInBackground(streamId, fromVersion, toVersion);
    }
    // Any other range is marked on the caller's thread, as the SPI's default does.
    return RelayStore.super.markPublishedAsync(streamId, fromVersion, toVersion);
  }

  private void check(String streamId, long fromVersion, long toVersion) {
    keys.checkStreamId(streamId);
    StreamPreconditions.checkFromVersion(streamId, fromVersion);
    if (toVersion < fromVersion) {
      throw new IllegalArgumentException(
          "toVersion must be >= fromVersion (" + fromVersion + "), was " + toVersion);
    }
  }
}
