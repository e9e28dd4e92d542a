package io.cqrs;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-memory store that records the calls made to it and can be told to fail some of them, for
 * tests of what the repository and dispatcher do around the store.
 */
final class ObservedStore implements EventStreamRepository {
  final InMemoryEventStreamRepository delegate = new InMemoryEventStreamRepository();
  final List<String> calls = new CopyOnWriteArrayList<>();
  volatile RuntimeException failSaveSnapshot;
  volatile RuntimeException failLoadSnapshot;
  volatile RuntimeException failRecordIntegrationEvent;

  /** Runs before each save reaches the store, e.g. to let a competing writer in. */
  volatile Consumer<String> beforeSave = streamId -> {};

  @Override
  public void save(StreamAppend append) {
    calls.add(
        "save "
            + append.streamId()
            + " @"
            + append.expectedVersion()
            + " +"
            + append.events().size());
    beforeSave.accept(append.streamId());
    delegate.save(append);
  }

  /** Runs after a stream was read and before it is returned, e.g. to park the reader there. */
  volatile Consumer<String> afterLoad = streamId -> {};

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    calls.add("load " + streamId + " from " + fromVersion);
    EventStream stream = delegate.loadStream(streamId, fromVersion);
    afterLoad.accept(streamId);
    return stream;
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    calls.add("load " + streamId + " after " + readVersion);
    EventStream stream = delegate.loadStreamAfter(streamId, readVersion);
    afterLoad.accept(streamId);
    return stream;
  }

  @Override
  public long version(String streamId) {
    return delegate.version(streamId);
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    calls.add("saveSnapshot " + snapshot.streamId() + " @" + snapshot.version());
    if (failSaveSnapshot != null) {
      throw failSaveSnapshot;
    }
    delegate.saveSnapshot(snapshot);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    calls.add("loadSnapshot " + streamId);
    if (failLoadSnapshot != null) {
      throw failLoadSnapshot;
    }
    return delegate.loadSnapshot(streamId);
  }

  @Override
  public long logHead() {
    return delegate.logHead();
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    return delegate.readLog(fromPosition, maxEvents);
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    calls.add("recordIntegrationEvent " + event.eventType());
    if (failRecordIntegrationEvent != null) {
      throw failRecordIntegrationEvent;
    }
    delegate.recordIntegrationEvent(event);
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return delegate.eventsByCorrelationId(correlationId);
  }
}
