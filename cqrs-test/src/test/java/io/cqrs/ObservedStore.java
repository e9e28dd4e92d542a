package io.cqrs;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-memory store that records the calls made to it and can be told to fail some of them, for
 * tests of what the repository and dispatcher do around the store.
 */
final class ObservedStore extends ForwardingEventStreamRepository {
  final InMemoryEventStreamRepository delegate;
  final List<String> calls = new CopyOnWriteArrayList<>();
  volatile RuntimeException failSaveSnapshot;
  volatile RuntimeException failLoadSnapshot;
  volatile RuntimeException failRecordIntegrationEvent;

  /** Runs before each save reaches the store, e.g. to let a competing writer in. */
  volatile Consumer<String> beforeSave = streamId -> {};

  /** Runs after a stream was read and before it is returned, e.g. to park the reader there. */
  volatile Consumer<String> afterLoad = streamId -> {};

  ObservedStore() {
    this(new InMemoryEventStreamRepository());
  }

  private ObservedStore(InMemoryEventStreamRepository delegate) {
    super(delegate);
    this.delegate = delegate;
  }

  @Override
  public void save(StreamAppend append) {
    observeSave("save ", append);
    super.save(append);
  }

  @Override
  public void saveChecked(StreamAppend append) {
    observeSave("checked save ", append);
    super.saveChecked(append);
  }

  private void observeSave(String kind, StreamAppend append) {
    calls.add(
        kind + append.streamId() + " @" + append.expectedVersion() + " +" + append.events().size());
    beforeSave.accept(append.streamId());
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    calls.add("load " + streamId + " from " + fromVersion);
    EventStream stream = super.loadStream(streamId, fromVersion);
    afterLoad.accept(streamId);
    return stream;
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    calls.add("load " + streamId + " after " + readVersion);
    EventStream stream = super.loadStreamAfter(streamId, readVersion);
    afterLoad.accept(streamId);
    return stream;
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    calls.add("saveSnapshot " + snapshot.streamId() + " @" + snapshot.version());
    if (failSaveSnapshot != null) {
      throw failSaveSnapshot;
    }
    super.saveSnapshot(snapshot);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    calls.add("loadSnapshot " + streamId);
    if (failLoadSnapshot != null) {
      throw failLoadSnapshot;
    }
    return super.loadSnapshot(streamId);
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    calls.add("recordIntegrationEvent " + event.eventType());
    if (failRecordIntegrationEvent != null) {
      throw failRecordIntegrationEvent;
    }
    super.recordIntegrationEvent(event);
  }
}
