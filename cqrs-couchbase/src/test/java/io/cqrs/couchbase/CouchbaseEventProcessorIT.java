package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Core's tracking {@link EventProcessor} on the Couchbase store: catch-up, a restart in a new
 * "process" (a new repository on its own connection) and two processes sharing the segments.
 */
class CouchbaseEventProcessorIT extends RepositoryIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final List<TrackingEventProcessor> started = new ArrayList<>();
  private final List<CouchbaseEventStreamRepository> opened = new ArrayList<>();
  private final CouchbaseEventStreamRepository writer = repository();

  @AfterEach
  void stop() {
    started.forEach(TrackingEventProcessor::close);
    opened.forEach(CouchbaseEventStreamRepository::close);
  }

  /** A repository on a connection of its own, as another process would have. */
  private CouchbaseEventStreamRepository process() {
    CouchbaseEventStreamRepository repository =
        CouchbaseEventStreamRepository.builder(server.connectionString(), TestEvents.serializer())
            .credentials(server.username(), server.password())
            .bucket(server.bucketName())
            .keyPrefix(prefix)
            .gapGracePeriod(SHORT_GRACE)
            .build();
    opened.add(repository);
    return repository;
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor processor = builder.idleWait(Duration.ofMillis(20)).build();
    started.add(processor);
    processor.start();
    return processor;
  }

  /** Records every event a handler got, per stream, in arrival order. */
  private static final class Recorder implements VersionedEventHandler {
    final Map<String, List<Long>> versions = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void handle(VersionedEvent event) {
      calls.incrementAndGet();
      versions
          .computeIfAbsent(event.sourceId(), id -> new CopyOnWriteArrayList<>())
          .add(event.version());
    }

    int count() {
      return calls.get();
    }
  }

  private void append(String stream, long expected, int events) {
    writer.save(stream, expected, batch(stream, expected, events));
  }

  private static List<Long> versions(long from, long to) {
    List<Long> list = new ArrayList<>();
    for (long v = from; v <= to; v++) {
      list.add(v);
    }
    return list;
  }

  @Test
  void it_catches_up_on_history_then_follows_new_events() {
    for (int s = 0; s < 5; s++) {
      append("acc-" + s, 0, 4);
    }
    Recorder recorder = new Recorder();

    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", process()).handler(recorder).batchSize(7));
    Await.until(WAIT, "history handled", () -> recorder.count() == 20);
    append("acc-5", 0, 3);
    Await.until(WAIT, "new events handled", () -> recorder.count() == 23);
    Await.until(WAIT, "caught up", () -> processor.lag().caughtUp());

    assertThat(processor.lag().checkpoint()).isEqualTo(writer.logHead());
    assertThat(recorder.versions).hasSize(6);
    recorder.versions.forEach(
        (stream, got) ->
            assertThat(got).as(stream).isEqualTo(versions(1, stream.equals("acc-5") ? 3 : 4)));
  }

  @Test
  void a_lag_counts_the_commits_a_processor_has_not_handled() {
    Recorder recorder = new Recorder();
    append("acc-0", 0, 2);
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", process()).handler(recorder));
    Await.until(WAIT, "caught up", () -> processor.lag().caughtUp());
    assertThat(processor.lag().behind()).isZero();
    processor.close();

    for (int s = 1; s <= 3; s++) {
      append("acc-" + s, 0, 4); // three commits of four events each
    }

    // Before: the difference of positions, about 3 * 2^20 here.
    assertThat(processor.lag().behind()).isEqualTo(3);
    assertThat(processor.lag().positionsBehind()).isGreaterThan(2L << 20);
  }

  @Test
  void a_restart_in_a_new_process_resumes_after_the_checkpoint_and_handles_only_new_events() {
    for (int s = 0; s < 4; s++) {
      append("acc-" + s, 0, 10);
    }
    Recorder first = new Recorder();
    CouchbaseEventStreamRepository firstProcess = process();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", firstProcess).handler(first).batchSize(16));
    Await.until(WAIT, "history handled", () -> first.count() == 40 && processor.lag().caughtUp());
    processor.close();
    firstProcess.close();

    append("acc-0", 10, 3);
    Recorder second = new Recorder();
    TrackingEventProcessor restarted =
        start(EventProcessor.tracking("ledgers", process()).handler(second).batchSize(16));
    Await.until(
        WAIT, "new events handled", () -> second.count() >= 3 && restarted.lag().caughtUp());

    assertThat(second.count()).isEqualTo(3);
    assertThat(second.versions.get("acc-0")).containsExactly(11L, 12L, 13L);
  }

  @Test
  void two_processes_sharing_a_processor_split_the_segments_and_handle_each_event_once() {
    for (int s = 0; s < 24; s++) {
      append("acc-" + s, 0, 5);
    }
    Recorder recorder = new Recorder();
    TrackingEventProcessor a =
        start(
            EventProcessor.tracking("shared", process())
                .handler(recorder)
                .segments(4)
                .owner("a")
                .claimTtl(Duration.ofSeconds(10)));
    Await.until(WAIT, "a holds every segment", () -> a.ownedSegments().size() == 4);
    TrackingEventProcessor b =
        start(
            EventProcessor.tracking("shared", process())
                .handler(recorder)
                .segments(4)
                .owner("b")
                .claimTtl(Duration.ofSeconds(10)));

    Await.until(
        WAIT,
        () -> "the segments shared 2 and 2, were " + a.ownedSegments() + " " + b.ownedSegments(),
        () -> a.ownedSegments().size() == 2 && b.ownedSegments().size() == 2);
    append("acc-late", 0, 5);
    Await.until(WAIT, "everything handled", () -> recorder.count() >= 125 && a.lag().caughtUp());

    assertThat(recorder.count()).isEqualTo(125);
    assertThat(recorder.versions).hasSize(25);
    recorder.versions.forEach(
        (stream, got) -> assertThat(got).as(stream).isEqualTo(versions(1, 5)));
    assertThat(a.ownedSegments()).doesNotContainAnyElementsOf(b.ownedSegments());
    assertThat(writer.segments("shared"))
        .extracting(state -> state.owner())
        .containsOnly(a.owner(), b.owner());
  }
}
