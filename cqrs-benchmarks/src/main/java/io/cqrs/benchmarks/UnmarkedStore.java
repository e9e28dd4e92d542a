package io.cqrs.benchmarks;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Optional;

/**
 * An event store that is not a {@link io.cqrs.spi.RelayStore}: it hands every call to an in-memory
 * store but hides its publication marks, so a repository on it publishes without marking anything
 * published: the publication benchmark's "without".
 */
final class UnmarkedStore implements EventStreamRepository {
  private final EventStreamRepository store;

  UnmarkedStore(EventStreamRepository store) {
    this.store = store;
  }

  @Override
  public void save(StreamAppend append) {
    store.save(append);
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    return store.loadStream(streamId, fromVersion);
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    return store.loadStreamAfter(streamId, readVersion);
  }

  @Override
  public long version(String streamId) {
    return store.version(streamId);
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    store.saveSnapshot(snapshot);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    return store.loadSnapshot(streamId);
  }

  @Override
  public long logHead() {
    return store.logHead();
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    return store.readLog(fromPosition, maxEvents);
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    store.recordIntegrationEvent(event);
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return store.eventsByCorrelationId(correlationId);
  }
}
