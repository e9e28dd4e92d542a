package io.cqrs.memory;

import io.cqrs.ConcurrencyException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamPreconditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link EventStreamRepository} in memory, for tests, prototypes and single-process use
 * (andrewwebber's {@code InMemoryEventStreamRepository}).
 *
 * <p>Streams are indexed by id and locked one at a time, so writers of different streams do not
 * wait for each other; the integration log and correlation index are appended under one short lock
 * while the stream's lock is held, so the log's order agrees with every stream's order. Events are
 * kept as the objects given, so they should be immutable (records).
 */
public final class InMemoryEventStreamRepository implements EventStreamRepository {
  private final Map<String, List<VersionedEvent>> streams = new ConcurrentHashMap<>();
  private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
  private final List<LoggedEvent> log = new ArrayList<>();
  private final Map<String, List<VersionedEvent>> byCorrelation = new ConcurrentHashMap<>();

  @Override
  public void save(String streamId, long expectedVersion, List<VersionedEvent> events) {
    StreamPreconditions.checkSave(streamId, expectedVersion, events);
    List<VersionedEvent> stream = streams.computeIfAbsent(streamId, id -> new ArrayList<>());
    synchronized (stream) {
      if (stream.size() != expectedVersion) {
        throw new ConcurrencyException(streamId, expectedVersion, stream.size());
      }
      stream.addAll(events);
      appendToLog(events);
    }
  }

  @Override
  public List<VersionedEvent> load(String streamId, long fromVersion) {
    StreamPreconditions.checkFromVersion(streamId, fromVersion);
    List<VersionedEvent> stream = streams.get(streamId);
    if (stream == null) {
      return List.of();
    }
    synchronized (stream) {
      if (fromVersion > stream.size()) {
        return List.of();
      }
      return List.copyOf(stream.subList((int) fromVersion - 1, stream.size()));
    }
  }

  @Override
  public long version(String streamId) {
    StreamPreconditions.checkStreamId(streamId);
    List<VersionedEvent> stream = streams.get(streamId);
    if (stream == null) {
      return 0;
    }
    synchronized (stream) {
      return stream.size();
    }
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    snapshots.merge(
        snapshot.streamId(),
        snapshot,
        (old, candidate) -> candidate.version() >= old.version() ? candidate : old);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    StreamPreconditions.checkStreamId(streamId);
    return Optional.ofNullable(snapshots.get(streamId));
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    StreamPreconditions.checkLogRead(fromPosition, maxEvents);
    synchronized (log) {
      if (fromPosition > log.size()) {
        return List.of();
      }
      int from = (int) fromPosition - 1;
      return List.copyOf(log.subList(from, (int) Math.min(log.size(), (long) from + maxEvents)));
    }
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    appendToLog(List.of(event));
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    Objects.requireNonNull(correlationId, "correlationId");
    synchronized (log) {
      List<VersionedEvent> events = byCorrelation.get(correlationId);
      return events == null ? List.of() : List.copyOf(events);
    }
  }

  private void appendToLog(List<VersionedEvent> events) {
    synchronized (log) {
      for (VersionedEvent event : events) {
        log.add(new LoggedEvent(log.size() + 1, event));
        byCorrelation.computeIfAbsent(event.correlationId(), id -> new ArrayList<>()).add(event);
      }
    }
  }
}
