package io.cqrs.benchmarks;

import io.cqrs.ConcurrencyException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store that keeps each stream's version and nothing else: a save checks and moves it, a load
 * finds nothing after it. For benchmarks of what the repository itself costs around a cached load
 * and a save, where a store that kept every event would have the garbage collector measured as the
 * run grows (an in-memory store that kept a run's hundreds of thousands of events made young
 * collections of 60 to 100 ms every half second, which decided the figures more than the code). It
 * keeps no correlation index either: the deduplication look-up finds nothing, which is what it
 * finds for the commands of the benchmarks that use this store, each sent once. Safe for one writer
 * per stream at a time; what those benchmarks do not call is unsupported.
 */
final class HeadOnlyStore implements EventStreamRepository {
  private final Map<String, Long> versions = new ConcurrentHashMap<>();

  @Override
  public void save(StreamAppend append) {
    long actual = version(append.streamId());
    if (actual != append.expectedVersion()) {
      throw new ConcurrencyException(append.streamId(), append.expectedVersion(), actual);
    }
    List<VersionedEvent> events = append.events();
    versions.put(append.streamId(), events.get(events.size() - 1).version());
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    if (fromVersion <= version(streamId)) {
      throw new UnsupportedOperationException("this store keeps no events");
    }
    return new EventStream(streamId, null, List.of());
  }

  @Override
  public long version(String streamId) {
    return versions.getOrDefault(streamId, 0L);
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    // kept nowhere: loads come from the repository's cache
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    return Optional.empty();
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    throw new UnsupportedOperationException();
  }

  @Override
  public long logHead() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return List.of(); // no index kept: see the class comment
  }
}
