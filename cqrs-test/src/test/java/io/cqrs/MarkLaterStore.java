package io.cqrs;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.ForwardingRelayStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory relay store whose publication marks sent without waiting ({@link
 * #markPublishedAsync}) stay in flight until the test completes or fails them, one call at a time:
 * for tests that a save never waits for a mark and survives one that fails.
 */
final class MarkLaterStore extends ForwardingRelayStore {
  private final InMemoryEventStreamRepository delegate;
  final List<String> marks = new CopyOnWriteArrayList<>();
  final List<String> synchronousMarks = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
  private final List<Runnable> writes = new CopyOnWriteArrayList<>();

  MarkLaterStore() {
    this(new InMemoryEventStreamRepository());
  }

  private MarkLaterStore(InMemoryEventStreamRepository delegate) {
    super(delegate);
    this.delegate = delegate;
  }

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
    super.markPublished(streamId, fromVersion, toVersion);
  }
}
