package io.cqrs.couchbase;

import io.cqrs.spi.RelayStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.StreamPreconditions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;

/**
 * The {@link RelayStore} half of {@link CouchbaseEventStreamRepository}: validates arguments and
 * marks commits published in their claims (see {@code docs/couchbase-relay.md}). The relay's lease
 * and checkpoint are a processor's claim ({@link ProcessorDocuments}).
 */
final class RelayDocuments implements RelayStore {
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
    long[] run = owed.leased(processor, ttl, got.get().checkpoint(), askedAt);
    if (run != null) {
      marker.recordPassed(run[0], run[1]);
    }
    checkExpiryLater();
  }

  /** The relay's checkpoint was saved at {@code position}: the marks it passed are forgotten. */
  void checkpointSaved(String processor, long position) {
    if (!OwedMarks.isRelay(processor)) {
      return;
    }
    long[] run = owed.passed(processor, position);
    if (run != null) {
      marker.recordPassed(run[0], run[1]);
    }
  }

  /** A relay lease was lost or given up: the marks owed are written, unless another relay leads. */
  void lost(String processor) {
    if (OwedMarks.isRelay(processor)) {
      marker.write(owed.lost(processor));
    }
  }

  /** The repository closes: every mark owed is written (close waits for them), none owed after. */
  void close() {
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
