package io.cqrs.benchmarks;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A read-only {@link EventStreamRepository} holding one immutable stream, which {@link #loadStream}
 * hands out as it is. The dispatch benchmark replays through the public repository API on it so
 * that what it measures per event is routing alone, whatever a real store does on load (the
 * rehydration benchmark measures the in-memory store).
 */
final class ReplayOnlyStore implements EventStreamRepository {
  private final String streamId;
  private final List<VersionedEvent> stream;

  ReplayOnlyStore(String streamId, List<VersionedEvent> stream) {
    this.streamId = Objects.requireNonNull(streamId, "streamId");
    this.stream = List.copyOf(stream);
  }

  @Override
  public EventStream loadStream(String id, long fromVersion) {
    if (!streamId.equals(id) || fromVersion > stream.size()) {
      return new EventStream(id, null, List.of());
    }
    return new EventStream(
        id, null, fromVersion == 1 ? stream : stream.subList((int) fromVersion - 1, stream.size()));
  }

  @Override
  public long version(String id) {
    return streamId.equals(id) ? stream.size() : 0;
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String id) {
    return Optional.empty();
  }

  @Override
  public void save(StreamAppend append) {
    throw new UnsupportedOperationException("ReplayOnlyStore is read-only");
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    throw new UnsupportedOperationException("ReplayOnlyStore is read-only");
  }

  @Override
  public long logHead() {
    throw new UnsupportedOperationException("ReplayOnlyStore has no integration log");
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    throw new UnsupportedOperationException("ReplayOnlyStore has no integration log");
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    throw new UnsupportedOperationException("ReplayOnlyStore is read-only");
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    throw new UnsupportedOperationException("ReplayOnlyStore has no correlation index");
  }
}
