package io.cqrs.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * An aggregate's state at a version, so that loading it replays only the events after.
 *
 * @param streamId the aggregate's id
 * @param version the version of the last event folded into {@code state}
 * @param aggregateType the aggregate's logical type name
 * @param schema a fingerprint of the aggregate's fields; a snapshot whose schema no longer matches
 *     the class is ignored and the stream replayed
 * @param state the aggregate's fields as JSON
 * @param created when the snapshot was taken
 */
public record Snapshot(
    String streamId,
    long version,
    String aggregateType,
    String schema,
    String state,
    Instant created) {

  public Snapshot {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(aggregateType, "aggregateType");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(created, "created");
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1, was " + version);
    }
  }
}
