package io.cqrs.spi;

import io.cqrs.ConcurrencyException;
import io.cqrs.VersionedEvent;
import java.util.List;
import java.util.Optional;

/**
 * Where event streams, snapshots and the integration log are kept: the SPI a store adapter
 * implements (andrewwebber's {@code EventStreamRepository}).
 *
 * <p>Every implementation passes {@code io.cqrs.testing.EventStreamRepositoryContract} and keeps
 * these guarantees:
 *
 * <ul>
 *   <li>A stream's versions are 1, 2, 3 … without gaps or duplicates.
 *   <li>{@link #save} is atomic and optimistic: it appends all of its events or none, and two
 *       writers that expect the same version cannot both succeed.
 *   <li>Every committed event can be read back from the integration log in commit order, each
 *       exactly once, and by correlation id.
 * </ul>
 *
 * <p>Implementations are thread-safe.
 */
public interface EventStreamRepository {

  /**
   * Appends {@code events} to a stream, all or nothing.
   *
   * @param streamId the stream (aggregate) id; every event's {@code sourceId} must equal it
   * @param expectedVersion the version the stream must be at now; 0 for a new stream
   * @param events one or more events numbered {@code expectedVersion + 1} upwards
   * @throws ConcurrencyException if the stream is not at {@code expectedVersion}; nothing was
   *     written
   * @throws IllegalArgumentException if the events are empty, belong to another stream or are not
   *     numbered contiguously from {@code expectedVersion + 1}
   */
  void save(String streamId, long expectedVersion, List<VersionedEvent> events);

  /**
   * The events of a stream with version {@code >= fromVersion}, in version order; empty if there
   * are none.
   */
  List<VersionedEvent> load(String streamId, long fromVersion);

  /** All events of a stream, in version order. */
  default List<VersionedEvent> load(String streamId) {
    return load(streamId, 1);
  }

  /** The stream's current version; 0 if it has no events. */
  long version(String streamId);

  /**
   * Stores a snapshot, replacing an older one of the same stream. A snapshot older than the one
   * stored is ignored.
   */
  void saveSnapshot(Snapshot snapshot);

  /** The latest snapshot of a stream, if any. */
  Optional<Snapshot> loadSnapshot(String streamId);

  /**
   * Reads the integration log: committed events with position {@code >= fromPosition}, in commit
   * order, at most {@code maxEvents} of them. Positions start at 1, only increase, and may skip
   * numbers; pass the last position read plus one to continue.
   */
  List<LoggedEvent> readLog(long fromPosition, int maxEvents);

  /**
   * Records an event that belongs to no stream, such as {@link io.cqrs.CommandFailed}, in the
   * integration log and the correlation index (andrewwebber's {@code SaveIntegrationEvent}).
   */
  void recordIntegrationEvent(VersionedEvent event);

  /**
   * Every event of a correlation id, stream events and integration events alike, in commit order
   * (andrewwebber's {@code GetIntegrationEventsByCorrelationID}).
   */
  List<VersionedEvent> eventsByCorrelationId(String correlationId);
}
