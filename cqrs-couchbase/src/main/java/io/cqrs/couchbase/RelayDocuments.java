package io.cqrs.couchbase;

import io.cqrs.spi.RelayStore;
import io.cqrs.spi.StreamPreconditions;

/**
 * The {@link RelayStore} half of {@link CouchbaseEventStreamRepository}: validates arguments and
 * marks commits published in their claims (see {@code docs/couchbase-relay.md}). The relay's lease
 * and checkpoint are a processor's claim ({@link ProcessorDocuments}).
 */
final class RelayDocuments implements RelayStore {
  private final KeyLayout keys;
  private final PublicationMarker marker;

  RelayDocuments(
      Kv kv, RelayKv relayKv, KeyLayout keys, StreamReader reader, RecentCommits recent) {
    this.keys = keys;
    this.marker = new PublicationMarker(kv, relayKv, keys, reader, recent);
  }

  @Override
  public void markPublished(String streamId, long fromVersion, long toVersion) {
    keys.checkStreamId(streamId);
    StreamPreconditions.checkFromVersion(streamId, fromVersion);
    if (toVersion < fromVersion) {
      throw new IllegalArgumentException(
          "toVersion must be >= fromVersion (" + fromVersion + "), was " + toVersion);
    }
    marker.mark(streamId, fromVersion, toVersion);
  }
}
