package io.cqrs.couchbase;

import io.cqrs.spi.RelayStore;
import io.cqrs.spi.StreamPreconditions;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@link RelayStore} half of {@link CouchbaseEventStreamRepository}: validates arguments and
 * hands each operation to the documents that hold it (see {@code docs/couchbase-relay.md}).
 */
final class RelayDocuments implements RelayStore {
  private final KeyLayout keys;
  private final PublicationMarker marker;
  private final LeaseDocuments leases;
  private final CheckpointDocuments checkpoints;

  RelayDocuments(Kv kv, RelayKv relayKv, KeyLayout keys, DocumentCodec codec, StreamReader reader) {
    RelayKeys relayKeys = new RelayKeys(keys);
    this.keys = keys;
    this.marker = new PublicationMarker(kv, relayKv, keys, reader);
    this.leases = new LeaseDocuments(kv, relayKv, relayKeys, codec);
    this.checkpoints = new CheckpointDocuments(kv, relayKeys, codec);
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

  @Override
  public boolean tryAcquireLease(String lease, String owner, Duration ttl) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(LeaseDocuments.MAX_TTL) > 0) {
      throw new IllegalArgumentException(
          "ttl must be positive and at most " + LeaseDocuments.MAX_TTL + ", was " + ttl);
    }
    return leases.tryAcquire(lease, owner, ttl);
  }

  @Override
  public void releaseLease(String lease, String owner) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(owner, "owner");
    leases.release(lease, owner);
  }

  @Override
  public long readCheckpoint(String name) {
    Objects.requireNonNull(name, "name");
    return checkpoints.read(name);
  }

  @Override
  public void saveCheckpoint(String name, long position) {
    Objects.requireNonNull(name, "name");
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, was " + position);
    }
    checkpoints.save(name, position);
  }
}
