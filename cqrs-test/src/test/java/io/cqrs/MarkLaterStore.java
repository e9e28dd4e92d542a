package io.cqrs;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory relay store whose publication marks sent without waiting ({@link
 * #markPublishedAsync}) stay in flight until the test completes or fails them, one call at a time:
 * for tests that a save never waits for a mark and survives one that fails.
 */
final class MarkLaterStore implements EventStreamRepository, RelayStore {
  final InMemoryEventStreamRepository delegate = new InMemoryEventStreamRepository();
  final List<String> marks = new CopyOnWriteArrayList<>();
  final List<String> synchronousMarks = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
  private final List<Runnable> writes = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<Void> markPublishedAsync(
      String streamId, long fromVersion, long toVersion) {
    marks.add(streamId + " " + fromVersion + ".." + toVersion);
    writes.add(() -> delegate.markPublished(streamId, fromVersion, toVersion));
    CompletableFuture<Void> stage = new CompletableFuture<>();
    pending.add(stage);
    return stage;
  }

  /** Writes the mark of call {@code i} and completes its stage. */
  void land(int i) {
    writes.get(i).run();
    pending.get(i).complete(null);
  }

  /** Fails the stage of call {@code i} without writing its mark. */
  void fail(int i, RuntimeException failure) {
    pending.get(i).completeExceptionally(failure);
  }

  @Override
  public void markPublished(String streamId, long fromVersion, long toVersion) {
    synchronousMarks.add(streamId + " " + fromVersion + ".." + toVersion);
    delegate.markPublished(streamId, fromVersion, toVersion);
  }

  @Override
  public void save(StreamAppend append) {
    delegate.save(append);
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    return delegate.loadStream(streamId, fromVersion);
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    return delegate.loadStreamAfter(streamId, readVersion);
  }

  @Override
  public long version(String streamId) {
    return delegate.version(streamId);
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    delegate.saveSnapshot(snapshot);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
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
    delegate.recordIntegrationEvent(event);
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return delegate.eventsByCorrelationId(correlationId);
  }
}
