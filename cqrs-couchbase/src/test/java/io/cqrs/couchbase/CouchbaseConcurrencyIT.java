package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.ConcurrencyException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many writers on few streams: 8 threads each commit 500 batches of 1..5 events to 10 streams,
 * reloading the version and retrying on every conflict.
 */
class CouchbaseConcurrencyIT extends RepositoryIT {
  private static final int THREADS = 8;
  private static final int SAVES_PER_THREAD = 500;
  private static final int STREAMS = 10;

  private final CouchbaseEventStreamRepository repository = repository();
  private final AtomicInteger conflicts = new AtomicInteger();

  /** One successful save, or one attempt that lost. */
  private record Attempt(String stream, List<VersionedEvent> events) {}

  @Test
  void racing_writers_leave_gapless_streams_and_a_log_with_every_committed_event_once()
      throws Exception {
    long started = System.nanoTime();
    List<Attempt> committed = new ArrayList<>();
    List<Attempt> lost = new ArrayList<>();
    runWriters(committed, lost);
    double seconds = (System.nanoTime() - started) / 1e9;

    Map<String, List<VersionedEvent>> streams = assertStreamsAreGapless(committed, lost);
    List<LoggedEvent> log = readWholeLog();
    assertLogHoldsEachCommittedEventOnceInStreamOrder(log, streams);
    assertLostAttemptsLeftNothing(log, lost);
    Map<String, Integer> markers = logMarkers();
    assertThat(markers.getOrDefault(DocumentCodec.GAP, 0)).as("gaps closed").isZero();

    System.out.printf(
        "[CouchbaseConcurrencyIT] %d saves (%d events) by %d threads on %d streams in %.1f s:"
            + " %d conflicts, %d commits abandoned after losing the claim%n",
        committed.size(),
        log.size(),
        THREADS,
        STREAMS,
        seconds,
        conflicts.get(),
        markers.getOrDefault(DocumentCodec.ABORTED, 0));
  }

  private void runWriters(List<Attempt> committed, List<Attempt> lost) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<List<Attempt>>>> results = new ArrayList<>();
    try {
      for (int t = 0; t < THREADS; t++) {
        results.add(pool.submit(writer(t, start)));
      }
      start.countDown();
      for (Future<List<List<Attempt>>> result : results) {
        List<List<Attempt>> outcome = result.get(10, TimeUnit.MINUTES);
        committed.addAll(outcome.get(0));
        lost.addAll(outcome.get(1));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(committed).hasSize(THREADS * SAVES_PER_THREAD);
  }

  private Callable<List<List<Attempt>>> writer(int thread, CountDownLatch start) {
    return () -> {
      Random random = new Random(thread);
      List<Attempt> saved = new ArrayList<>();
      List<Attempt> failed = new ArrayList<>();
      start.await();
      for (int i = 0; i < SAVES_PER_THREAD; i++) {
        String stream = "s-" + random.nextInt(STREAMS);
        int size = 1 + random.nextInt(5);
        String correlationId = "w" + thread + "-" + i;
        while (true) {
          long version = repository.version(stream);
          List<VersionedEvent> events = TestEvents.batch(stream, version, size, correlationId);
          try {
            repository.save(stream, version, events);
            saved.add(new Attempt(stream, events));
            break;
          } catch (ConcurrencyException e) {
            conflicts.incrementAndGet();
            failed.add(new Attempt(stream, events));
          }
        }
      }
      return List.of(saved, failed);
    };
  }

  private Map<String, List<VersionedEvent>> assertStreamsAreGapless(
      List<Attempt> committed, List<Attempt> lost) {
    Map<String, List<VersionedEvent>> streams = new HashMap<>();
    Map<String, VersionedEvent> stored = new HashMap<>();
    int total = 0;
    for (int s = 0; s < STREAMS; s++) {
      String stream = "s-" + s;
      List<VersionedEvent> events = repository.load(stream);
      streams.put(stream, events);
      for (int v = 0; v < events.size(); v++) {
        assertThat(events.get(v).version()).as("%s version %d", stream, v + 1).isEqualTo(v + 1L);
        assertThat(stored.put(events.get(v).id(), events.get(v))).as("duplicate").isNull();
      }
      assertThat(repository.version(stream)).isEqualTo(events.size());
      total += events.size();
    }
    int savedEvents = 0;
    for (Attempt attempt : committed) {
      for (VersionedEvent event : attempt.events()) {
        assertThat(stored.get(event.id())).as("committed event present").isEqualTo(event);
      }
      savedEvents += attempt.events().size();
    }
    for (Attempt attempt : lost) {
      attempt.events().forEach(e -> assertThat(stored).doesNotContainKey(e.id()));
    }
    assertThat(total).isEqualTo(savedEvents);
    return streams;
  }

  private void assertLogHoldsEachCommittedEventOnceInStreamOrder(
      List<LoggedEvent> log, Map<String, List<VersionedEvent>> streams) {
    Set<String> seen = new HashSet<>();
    Map<String, Long> lastVersion = new HashMap<>();
    long lastPosition = 0;
    for (LoggedEvent entry : log) {
      assertThat(entry.position()).isGreaterThan(lastPosition);
      lastPosition = entry.position();
      VersionedEvent event = entry.event();
      assertThat(seen.add(event.id())).as("logged once: %s", event.id()).isTrue();
      long previous = lastVersion.getOrDefault(event.sourceId(), 0L);
      assertThat(event.version()).as("log order of %s", event.sourceId()).isEqualTo(previous + 1);
      lastVersion.put(event.sourceId(), event.version());
    }
    streams.forEach(
        (stream, events) ->
            assertThat(lastVersion.getOrDefault(stream, 0L)).isEqualTo(events.size()));
  }

  private void assertLostAttemptsLeftNothing(List<LoggedEvent> log, List<Attempt> lost) {
    Set<String> logged = new HashSet<>();
    log.forEach(entry -> logged.add(entry.event().id()));
    Random sample = new Random(42);
    for (Attempt attempt : lost) {
      attempt.events().forEach(e -> assertThat(logged).doesNotContain(e.id()));
      if (sample.nextInt(20) == 0) {
        // Each writer's correlation id holds its one committed batch and nothing it lost.
        String correlationId = attempt.events().get(0).correlationId();
        assertThat(repository.eventsByCorrelationId(correlationId))
            .hasSizeBetween(1, 5)
            .allSatisfy(e -> assertThat(logged).contains(e.id()));
      }
    }
  }

  private List<LoggedEvent> readWholeLog() {
    List<LoggedEvent> all = new ArrayList<>();
    long from = 1;
    for (List<LoggedEvent> page = repository.readLog(from, 500);
        !page.isEmpty();
        page = repository.readLog(from, 500)) {
      all.addAll(page);
      from = page.get(page.size() - 1).position() + 1;
    }
    return all;
  }

  /** How many log sequences hold each kind of marker. */
  private Map<String, Integer> logMarkers() {
    Map<String, Integer> markers = new HashMap<>();
    long top = kv.counter(keys.sequence());
    for (long seq = 1; seq <= top; seq++) {
      String doc =
          kv.get(keys.log(seq))
              .map(d -> new String(d.content(), StandardCharsets.UTF_8))
              .orElse("");
      for (String kind : List.of(DocumentCodec.GAP, DocumentCodec.ABORTED)) {
        if (doc.contains("\"k\":\"" + kind + "\"")) {
          markers.merge(kind, 1, Integer::sum);
        }
      }
    }
    return markers;
  }
}
