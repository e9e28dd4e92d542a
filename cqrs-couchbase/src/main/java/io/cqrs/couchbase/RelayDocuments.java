package io.cqrs.couchbase;

import io.cqrs.spi.RelayStore;
import io.cqrs.spi.StreamPreconditions;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The {@link RelayStore} half of {@link CouchbaseEventStreamRepository}: validates arguments and
 * marks commits published in their claims (see {@code docs/couchbase-relay.md}). The relay's lease
 * and checkpoint are a processor's claim ({@link ProcessorDocuments}).
 */
final class RelayDocuments implements RelayStore {
  private final KeyLayout keys;
  private final PublicationMarker marker;

  RelayDocuments(
      Kv kv,
      RelayKv relayKv,
      KeyLayout keys,
      StreamReader reader,
      RecentCommits recent,
      CommitResolver resolver,
      InFlight inFlight,
      OwedMarks owed) {
    this.keys = keys;
    this.marker =
        new PublicationMarker(kv, relayKv, keys, reader, recent, resolver, inFlight, owed);
  }

  /** Records, in the background, how far this process's relay passed marks it was owed. */
  void relayedThrough(long position) {
    marker.relayedThrough(position);
  }

  /** Writes, in the background, marks that were owed while this process's relay led. */
  void writeOwed(List<OwedMarks.Owed> marks) {
    marker.write(marks);
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
