package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentState;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingEventStreamRepository;
import io.cqrs.testing.OwnThread;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TrackingEventProcessorTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final List<TrackingEventProcessor> started = new ArrayList<>();

  @AfterEach
  void closeAll() {
    started.forEach(TrackingEventProcessor::close);
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor processor = builder.idleWait(Duration.ofMillis(5)).build();
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

  private void appendStreams(int streams, int eventsEach) {
    for (int s = 0; s < streams; s++) {
      Ledgers.append(store, "ledger-" + s, eventsEach, CREATED);
    }
  }

  private static void assertInVersionOrderWithoutRepeats(Recorder recorder, int streams, int each) {
    assertThat(recorder.versions).hasSize(streams);
    recorder.versions.forEach(
        (stream, got) -> {
          List<Long> expected = new ArrayList<>();
          for (long v = 1; v <= each; v++) {
            expected.add(v);
          }
          assertThat(got).as(stream).isEqualTo(expected);
        });
  }

  @Test
  void it_catches_up_on_history_then_follows_new_events() {
    appendStreams(5, 20);
    Recorder recorder = new Recorder();

    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", store).handler(recorder));
    Await.until("history handled", () -> recorder.count() == 100);
    Ledgers.append(store, "ledger-5", 7, CREATED);
    Await.until("new events handled", () -> recorder.count() == 107);
    Await.until("caught up", () -> processor.lag().caughtUp());

    assertThat(processor.lag()).isEqualTo(new ProcessorLag(107, 107));
    assertThat(processor.ownedSegments()).containsExactly(0);
    assertThat(recorder.versions.get("ledger-5")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
  }

  /**
   * The store as a build whose registry lacks the type of the event at {@code position} reads it:
   * every read that includes that position fails, as on a store that decodes what it reads.
   */
  private EventStreamRepository unreadableAt(long position) {
    return unreadableAt(position, () -> false);
  }

  /** {@link #unreadableAt(long)} until {@code repaired} says the event reads. */
  private EventStreamRepository unreadableAt(long position, BooleanSupplier repaired) {
    return OlderBuild.reading(store, () -> repaired.getAsBoolean() ? Long.MAX_VALUE : position);
  }

  /**
   * A rolling deploy: a newer build wrote an event whose type this process's registry does not
   * know, at position 4. The segment handles what it can read before it, stops there with its
   * checkpoint there and says where, instead of failing its whole page unhandled.
   */
  /**
   * A close while a handler's transient failure is being backed off (up to a second) ends the
   * back-off at once and does not try the handler again; the event stays after the checkpoint.
   */
  @Test
  void a_close_during_a_retry_back_off_stops_without_trying_the_handler_again() {
    Ledgers.append(store, "ledger-0", 1, CREATED);
    AtomicInteger calls = new AtomicInteger();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("flaky", store)
                .handler(
                    event -> {
                      calls.incrementAndGet();
                      throw new TransientCqrsException("the read model's database is away");
                    }));
    // The tenth back-off waits half a second to a second: long enough to find the thread in it.
    Await.until("ten attempts", () -> calls.get() >= 10);
    Thread worker = workerThread("flaky", 0);
    Await.until("the worker backing off", () -> worker.getState() == Thread.State.TIMED_WAITING);
    int before = calls.get();

    processor.close();

    assertThat(worker.isAlive()).isFalse();
    assertThat(calls.get()).isEqualTo(before); // not tried again after the stop
    assertThat(processor.failure()).isNull(); // a stop, not a failure of the event
    assertThat(store.segments("flaky").get(0).checkpoint()).isZero(); // the event is still due
  }

  /**
   * A handler that restores an interrupt and fails transiently: the back-off kept the flag and
   * returned at once, and the retry failed again at once, a hot loop that flooded the log. An
   * interrupt during a back-off now stops the segment, as one during a park does.
   */
  @Test
  void an_interrupt_during_a_retry_back_off_stops_the_segment_instead_of_spinning() {
    Ledgers.append(store, "ledger-0", 1, CREATED);
    AtomicInteger calls = new AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<Thread> worker =
        new java.util.concurrent.atomic.AtomicReference<>();
    start(
        EventProcessor.tracking("interrupted", store)
            .handler(
                event -> {
                  calls.incrementAndGet();
                  worker.set(Thread.currentThread());
                  Thread.currentThread().interrupt();
                  throw new TransientCqrsException("the database is away");
                }));

    Await.until(
        "the segment's thread to end", () -> worker.get() != null && !worker.get().isAlive());
    assertThat(calls).hasValue(1);
    assertThat(store.segments("interrupted").get(0).checkpoint()).isZero();
  }

  /**
   * pause() waited for ever while a handler failed transiently (a database away): the retry never
   * finished. A pause now ends the retry; the event stays after the checkpoint and is tried again
   * on resume.
   */
  @Test
  void pause_returns_while_a_handler_keeps_failing_and_resume_tries_the_event_again() {
    Ledgers.append(store, "ledger-0", 1, CREATED);
    AtomicInteger calls = new AtomicInteger();
    AtomicBoolean away = new AtomicBoolean(true);
    List<Long> handled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("pausing", store)
                .handler(
                    event -> {
                      calls.incrementAndGet();
                      if (away.get()) {
                        throw new TransientCqrsException("the read model's database is away");
                      }
                      handled.add(event.version());
                    }));
    Await.until("retrying", () -> calls.get() >= 3);

    assertTimeoutPreemptively(Duration.ofSeconds(30), processor::pause);

    assertThat(processor.isPaused()).isTrue();
    assertThat(handled).isEmpty();
    assertThat(store.segments("pausing").get(0).checkpoint()).isZero();
    away.set(false);
    processor.resume();
    Await.until("the event handled after the resume", () -> handled.contains(1L));
    assertThat(processor.failure()).isNull();
  }

  /**
   * The same outage often takes the handler's database and the checkpoint's store: a pause must
   * park the segment even when its checkpoint cannot be saved (it stays earlier: at least once).
   */
  @Test
  void pause_returns_while_both_the_handler_and_the_checkpoint_store_are_away() {
    Ledgers.append(store, "ledger-0", 2, CREATED);
    AtomicBoolean away = new AtomicBoolean(true);
    List<Long> handled = new CopyOnWriteArrayList<>();
    io.cqrs.spi.ProcessorStore flaky =
        new io.cqrs.testing.ForwardingProcessorStore(store) {
          @Override
          public void saveCheckpoint(io.cqrs.spi.SegmentClaim claim, long position, Instant now) {
            if (away.get()) {
              throw new TransientCqrsException("the store is away too");
            }
            super.saveCheckpoint(claim, position, now);
          }
        };
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("both-away", store, flaky)
                .handler(
                    event -> {
                      if (event.version() == 2 && away.get()) {
                        throw new TransientCqrsException("the read model's database is away");
                      }
                      handled.add(event.version());
                    }));
    Await.until("event 1 handled", () -> handled.contains(1L));

    assertTimeoutPreemptively(Duration.ofSeconds(30), processor::pause);

    away.set(false);
    processor.resume();
    Await.until("event 2 handled after the resume", () -> handled.contains(2L));
  }

  private static Thread workerThread(String processor, int segment) {
    String name = "cqrs-processor-" + processor + "-" + segment;
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no thread " + name));
  }

  @Test
  void an_event_this_process_cannot_read_stops_the_segment_right_before_it_saying_where() {
    Ledgers.append(store, "ledger-0", 6, CREATED);
    EventStreamRepository unreadableAtFour = unreadableAt(4);
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", unreadableAtFour, store).handler(recorder));

    Await.until("the segment stopped", () -> processor.failure() != null);
    assertThat(recorder.versions.get("ledger-0")).containsExactly(1L, 2L, 3L);
    assertThat(processor.failure())
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("Processor 'ledgers' segment 0 cannot read the log after position 3")
        .hasMessageContaining("Unknown type 'Frozen'")
        .hasCauseInstanceOf(UnknownTypeException.class);
    Await.until(
        "the checkpoint at the last event handled",
        () -> store.segments("ledgers").get(0).checkpoint() == 3);
  }

  /**
   * The rolling deploy, with both builds running: the older process stops its segment right before
   * the event it cannot read and gives the segment up, and the newer process takes it over from
   * there, at once rather than after the older one leaves.
   */
  @Test
  void a_segment_given_up_at_an_unreadable_event_is_taken_over_by_a_process_that_reads_it() {
    Ledgers.append(store, "ledger-0", 6, CREATED);
    EventStreamRepository olderBuild = unreadableAt(4);
    Recorder older = new Recorder();
    TrackingEventProcessor olderProcess =
        start(
            EventProcessor.tracking("ledgers", olderBuild, store)
                .owner("older")
                .claimTtl(Duration.ofMinutes(10))
                .handler(older));
    Await.until(
        "the older process to give the segment up",
        () -> olderProcess.failure() != null && store.segments("ledgers").get(0).owner() == null);
    assertThat(store.segments("ledgers").get(0).checkpoint()).isEqualTo(3);

    Recorder newer = new Recorder();
    TrackingEventProcessor newerProcess =
        start(
            EventProcessor.tracking("ledgers", store)
                .owner("newer")
                .claimTtl(Duration.ofMinutes(10))
                .handler(newer));

    Await.until("the newer process to handle the rest", () -> newer.count() == 3);
    assertThat(newer.versions.get("ledger-0")).containsExactly(4L, 5L, 6L);
    assertThat(older.versions.get("ledger-0")).containsExactly(1L, 2L, 3L);
    assertThat(newerProcess.ownedSegments()).containsExactly(0);
    assertThat(olderProcess.ownedSegments()).isEmpty();
  }

  /**
   * The rolling deploy with both builds holding their share: the older process gave its segment up
   * at an event it cannot read, and the newer one, at its share already, never claimed it, so the
   * segment stood still until the older process tried again, and failed again, every {@code
   * unreadableRetry}. The older process now sits out of the membership meanwhile, so the newer
   * one's share grows by the segment and it takes it over.
   */
  @Test
  void a_segment_given_up_is_taken_over_by_a_process_that_holds_its_share_already() {
    java.util.concurrent.atomic.AtomicLong poison =
        new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
    EventStreamRepository olderBuild = OlderBuild.reading(store, poison::get);
    Recorder newer = new Recorder();
    TrackingEventProcessor newerProcess =
        start(
            EventProcessor.tracking("ledgers", store)
                .owner("newer")
                .segments(2)
                .claimTtl(Duration.ofMillis(600))
                .handler(newer));
    TrackingEventProcessor olderProcess =
        start(
            EventProcessor.tracking("ledgers", olderBuild, store)
                .owner("older")
                .segments(2)
                .claimTtl(Duration.ofMillis(600))
                .handler(new Recorder()));
    Await.until(
        "a segment each",
        () -> newerProcess.ownedSegments().size() == 1 && olderProcess.ownedSegments().size() == 1);
    int oldSegment = olderProcess.ownedSegments().get(0);
    String stream = "ledger-0";
    for (int i = 1; TrackingEventProcessor.segmentOf(stream, 2) != oldSegment; i++) {
      stream = "ledger-" + i;
    }
    poison.set(store.logHead() + 1);
    Ledgers.append(store, stream, 1, CREATED);

    Await.until("the older process to give its segment up", () -> olderProcess.failure() != null);
    Await.until(
        "the newer process to take it over and handle the event",
        () -> newerProcess.ownedSegments().size() == 2 && newer.count() == 1);
    assertThat(olderProcess.ownedSegments()).isEmpty();
  }

  /**
   * A segment given up at an event this process cannot read is tried again after {@code
   * unreadableRetry}, in case the event was repaired: once it reads, the segment handles it and the
   * rest, and {@link TrackingEventProcessor#failure()} no longer reports the stop.
   */
  @Test
  void a_segment_given_up_is_tried_again_and_goes_on_once_the_event_reads() {
    Ledgers.append(store, "ledger-0", 6, CREATED);
    AtomicBoolean repaired = new AtomicBoolean();
    EventStreamRepository repairable = unreadableAt(4, repaired::get);
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("ledgers", repairable, store)
                .claimTtl(Duration.ofMillis(600)) // the coordinator's round: every 200 ms
                .unreadableRetry(Duration.ofMillis(300))
                .handler(recorder));
    Await.until(
        "the segment given up",
        () -> processor.failure() != null && store.segments("ledgers").get(0).owner() == null);
    assertThat(recorder.count()).isEqualTo(3);

    repaired.set(true);

    Await.until("the rest handled", () -> recorder.count() == 6);
    assertThat(recorder.versions.get("ledger-0")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    Await.until("the stop no longer reported", () -> processor.failure() == null);
    assertThat(processor.ownedSegments()).containsExactly(0);
  }

  /**
   * A store whose page read fails for good while reading one event at a time finds nothing: the
   * segment stops with the store's failure rather than taking the empty read for the log's end and
   * failing the same page every idle wait, unseen.
   */
  @Test
  void a_page_that_fails_for_good_with_nothing_to_read_alone_stops_the_segment() {
    Ledgers.append(store, "ledger-0", 2, CREATED);
    UnknownTypeException broken = new UnknownTypeException("Frozen");
    EventStreamRepository inconsistent =
        new ForwardingEventStreamRepository(store) {
          @Override
          public List<LoggedEvent> readLogEvents(long fromPosition, int maxEvents) {
            if (maxEvents > 1) {
              throw broken;
            }
            return List.of();
          }
        };
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", inconsistent, store).handler(recorder));

    Await.until("the segment stopped", () -> processor.failure() != null);
    assertThat(processor.failure()).isSameAs(broken);
    assertThat(recorder.count()).isZero();
  }

  @Test
  void a_restart_resumes_after_the_checkpoint_and_handles_only_new_events() {
    appendStreams(4, 250);
    Recorder first = new Recorder();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledgers", store).handler(first).batchSize(64));
    Await.until("history handled", () -> processor.lag().caughtUp() && first.count() == 1000);
    processor.close();

    Ledgers.append(store, "ledger-0", 3, CREATED);
    Recorder second = new Recorder();
    TrackingEventProcessor restarted =
        start(EventProcessor.tracking("ledgers", store).handler(second).batchSize(64));
    Await.until("new events handled", () -> restarted.lag().caughtUp());

    assertThat(second.count()).isEqualTo(3);
    assertThat(second.versions.get("ledger-0")).containsExactly(251L, 252L, 253L);
  }

  @Test
  void processes_sharing_a_processor_split_the_segments_and_handle_each_event_once() {
    appendStreams(40, 10);
    Recorder recorder = new Recorder();
    TrackingEventProcessor.Builder builder =
        EventProcessor.tracking("shared", store)
            .handler(recorder)
            .segments(4)
            .claimTtl(Duration.ofSeconds(10));
    TrackingEventProcessor a = start(builder.owner("a"));
    Await.until("a holds every segment", () -> a.ownedSegments().size() == 4);
    TrackingEventProcessor b = start(builder.owner("b"));

    Await.until(
        "the segments are shared 2 and 2",
        () -> a.ownedSegments().size() == 2 && b.ownedSegments().size() == 2);
    Ledgers.append(store, "ledger-late", 5, CREATED);
    Await.until("everything handled", () -> a.lag().caughtUp() && recorder.count() >= 405);

    assertThat(recorder.count()).isEqualTo(405);
    recorder.versions.remove("ledger-late");
    assertInVersionOrderWithoutRepeats(recorder, 40, 10);
    assertThat(a.ownedSegments()).doesNotContainAnyElementsOf(b.ownedSegments());
  }

  @Test
  void processes_configured_with_one_owner_name_still_split_the_segments_and_handle_each_once() {
    appendStreams(40, 10);
    Recorder recorder = new Recorder();
    // A fixed name in every process's configuration: to the store they must be two owners, or
    // each renews the other's claims and both handle every segment.
    TrackingEventProcessor.Builder builder =
        EventProcessor.tracking("named", store)
            .handler(recorder)
            .segments(4)
            .claimTtl(Duration.ofSeconds(10))
            .owner("node");
    TrackingEventProcessor a = start(builder);
    Await.until("a holds every segment", () -> a.ownedSegments().size() == 4);
    TrackingEventProcessor b = start(builder);

    Await.until(
        "the segments are shared 2 and 2",
        () -> a.ownedSegments().size() == 2 && b.ownedSegments().size() == 2);
    Ledgers.append(store, "ledger-late", 5, CREATED);
    Await.until("everything handled", () -> a.lag().caughtUp() && recorder.count() >= 405);

    assertThat(recorder.count()).isEqualTo(405);
    recorder.versions.remove("ledger-late");
    assertInVersionOrderWithoutRepeats(recorder, 40, 10);
    assertThat(a.ownedSegments()).doesNotContainAnyElementsOf(b.ownedSegments());
    assertThat(a.owner()).startsWith("node#").isNotEqualTo(b.owner());
  }

  @Test
  void three_processes_share_four_segments_two_one_and_one() {
    appendStreams(20, 5);
    Recorder recorder = new Recorder();
    TrackingEventProcessor.Builder builder =
        EventProcessor.tracking("three", store)
            .handler(recorder)
            .segments(4)
            .claimTtl(Duration.ofSeconds(10));
    TrackingEventProcessor a = start(builder.owner("a"));
    TrackingEventProcessor b = start(builder.owner("b"));
    TrackingEventProcessor c = start(builder.owner("c"));

    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> "shares 2, 1, 1; were " + a.ownedSegments() + b.ownedSegments() + c.ownedSegments(),
        () ->
            a.ownedSegments().size() == 2
                && b.ownedSegments().size() == 1
                && c.ownedSegments().size() == 1);
    Await.until("everything handled", () -> a.lag().caughtUp());

    assertThat(recorder.count()).isEqualTo(100);
    assertInVersionOrderWithoutRepeats(recorder, 20, 5);
  }

  @Test
  void the_segments_of_a_crashed_process_move_to_the_survivor_and_nothing_is_lost() {
    appendStreams(30, 10);
    Map<String, List<Long>> applied = new ConcurrentHashMap<>();
    AtomicInteger calls = new AtomicInteger();
    VersionedEventHandler handler =
        event -> {
          calls.incrementAndGet();
          applied
              .computeIfAbsent(event.sourceId(), id -> new CopyOnWriteArrayList<>())
              .add(event.version());
        };
    TrackingEventProcessor.Builder builder =
        EventProcessor.tracking("crashy", store)
            .handler(handler)
            .segments(3)
            .batchSize(7)
            .claimTtl(Duration.ofMillis(300));
    TrackingEventProcessor a = start(builder.owner("a"));
    TrackingEventProcessor b = start(builder.owner("b"));
    Await.until(
        "both hold segments", () -> !a.ownedSegments().isEmpty() && !b.ownedSegments().isEmpty());
    Await.until("history handled", () -> a.lag().caughtUp());

    b.halt(); // as SIGKILL would: no final checkpoint, no release
    Ledgers.append(store, "ledger-after", 20, CREATED);
    for (int s = 0; s < 30; s++) {
      Ledgers.append(store, "ledger-" + s, 2, CREATED);
    }

    Await.until("a took every segment", () -> a.ownedSegments().size() == 3);
    Await.until("a caught up", () -> a.lag().caughtUp());
    List<SegmentState> states = store.segments("crashy");
    assertThat(states).allMatch(state -> a.owner().equals(state.owner()));
    // At least once: each stream got every version, in order; a repeat can only follow the crash.
    applied.forEach(
        (stream, versions) -> {
          long expected = 1;
          for (long version : versions) {
            assertThat(version).as(stream + " " + versions).isLessThanOrEqualTo(expected);
            expected = Math.max(expected, version + 1);
          }
          assertThat(expected - 1).as(stream).isEqualTo(stream.equals("ledger-after") ? 20 : 12);
        });
  }

  @Test
  void a_projection_gets_each_event_exactly_once_in_effect_even_after_a_reset() {
    appendStreams(6, 15);
    LedgerProjection projection = new LedgerProjection();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("ledger-view", store).projection(projection));
    Await.until("caught up", () -> processor.lag().caughtUp());
    processor.close();
    int applications = projection.applications();

    processor.resetTo(0);
    TrackingEventProcessor again =
        start(EventProcessor.tracking("ledger-view", store).projection(projection));
    Await.until("caught up again", () -> again.lag().caughtUp());

    assertThat(projection.applications()).isEqualTo(applications).isEqualTo(90);
    assertThat(projection.entries()).isEqualTo(Ledgers.fold(store));
    assertThat(projection.violations()).isEmpty();
  }

  @Test
  void reset_replays_into_a_cleared_read_model_and_is_refused_while_running() {
    appendStreams(3, 4);
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("again", store).handler(recorder));
    Await.until("caught up", () -> processor.lag().caughtUp());

    assertThatThrownBy(() -> processor.resetTo(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("close it");
    processor.close();
    processor.resetTo(0);
    Recorder replay = new Recorder();
    TrackingEventProcessor replaying =
        start(EventProcessor.tracking("again", store).handler(replay));
    Await.until("replayed", () -> replaying.lag().caughtUp());

    assertThat(replay.count()).isEqualTo(12);
    assertInVersionOrderWithoutRepeats(replay, 3, 4);
  }

  @Test
  void a_poison_event_is_dead_lettered_with_its_reason_and_later_events_go_on() {
    appendStreams(2, 5);
    List<VersionedEvent> handled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("picky", store)
                .maxAttempts(2)
                .handler(
                    event -> {
                      if (event.sourceId().equals("ledger-1") && event.version() == 3) {
                        throw new IllegalArgumentException("cannot take version 3");
                      }
                      if (event.version() > 0) {
                        handled.add(event);
                      } else {
                        throw new IllegalStateException("nor dead letters, which must not loop");
                      }
                    }));
    Await.until("caught up", () -> handled.size() == 9 && processor.lag().caughtUp());
    assertThat(store.readLog(1, 100))
        .as("one dead letter: a failure on a dead letter of its own is not dead-lettered again")
        .filteredOn(e -> e.event().event() instanceof EventProcessingFailed)
        .hasSize(1);

    VersionedEvent poison = store.load("ledger-1").get(2);
    List<VersionedEvent> letters = store.eventsByCorrelationId(poison.correlationId());
    EventProcessingFailed failed =
        letters.stream()
            .filter(e -> e.event() instanceof EventProcessingFailed)
            .map(e -> e.eventAs(EventProcessingFailed.class))
            .findFirst()
            .orElseThrow();
    assertThat(failed.processor()).isEqualTo("picky");
    assertThat(failed.eventId()).isEqualTo(poison.id());
    assertThat(failed.version()).isEqualTo(3);
    assertThat(failed.errorType()).isEqualTo(IllegalArgumentException.class.getName());
    assertThat(failed.message()).isEqualTo("cannot take version 3");
    assertThat(processor.failure()).isNull();
  }

  /**
   * What a handler threw may quote its input, which may be huge: a dead letter kept the whole
   * message in the log for good (on Couchbase a letter over the document limit could not be
   * recorded at all). The letter and its failed replay keep it cut, as a recorded command failure.
   */
  @Test
  void a_dead_letter_keeps_a_huge_failure_message_cut() {
    appendStreams(1, 1);
    String huge = "x".repeat(200_000);
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("quoting", store)
                .maxAttempts(1)
                .handler(
                    event -> {
                      throw new IllegalArgumentException("cannot take " + huge);
                    }));
    Await.until("dead-lettered", () -> processor.deadLetters().size() == 1);
    ProcessorDeadLetter letter = processor.deadLetters().get(0);
    assertThat(letter.message())
        .startsWith("cannot take xxx")
        .endsWith("characters cut)")
        .hasSizeLessThan(CommandDispatchManager.MAX_FAILURE_MESSAGE + 40);

    DeadLetterReplay replay = processor.replayDeadLetter(letter.id());
    assertThat(replay.outcome()).isEqualTo(DeadLetterReplay.Outcome.FAILED);
    assertThat(replay.deadLetter().message())
        .hasSizeLessThan(CommandDispatchManager.MAX_FAILURE_MESSAGE + 40);
    VersionedEvent failed = store.load("ledger-0").get(0);
    assertThat(
            store.eventsByCorrelationId(failed.correlationId()).stream()
                .filter(e -> e.event() instanceof EventProcessingRetried)
                .map(e -> e.eventAs(EventProcessingRetried.class).message()))
        .singleElement()
        .satisfies(
            message -> assertThat(message).endsWith("characters cut)").hasSizeLessThan(1100));
  }

  /**
   * Local processors of one name in two processes are two read models: each lists and replays only
   * its own dead letters, kept in its memory as its checkpoints are, and a restarted one none of
   * its predecessor's. In the log they were every process's, listed and replayable everywhere, and
   * recorded again at every rebuild.
   */
  @Test
  void local_processors_of_one_name_keep_their_dead_letters_apart() {
    appendStreams(2, 2);
    Set<String> poisoned = ConcurrentHashMap.newKeySet();
    poisoned.add("ledger-1");
    VersionedEventHandler failing =
        event -> {
          if (event.version() == 2 && poisoned.contains(event.sourceId())) {
            throw new IllegalArgumentException("poisoned");
          }
        };
    TrackingEventProcessor a = startLocal("view", failing);
    TrackingEventProcessor b = startLocal("view", failing);
    Await.until("a letter each", () -> a.deadLetters().size() == 1 && b.deadLetters().size() == 1);
    ProcessorDeadLetter ofA = a.deadLetters().get(0);
    ProcessorDeadLetter ofB = b.deadLetters().get(0);
    assertThat(ofA.id()).isNotEqualTo(ofB.id());
    assertThat(List.of(ofA.processor(), ofB.processor())).containsOnly("view");
    assertThat(lettersInTheLog()).as("none in the store's log").isZero();

    assertThat(b.replayDeadLetter(ofA.id()).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
    poisoned.clear();
    assertThat(a.replayDeadLetter(ofA.id()).outcome()).isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(a.deadLetters()).isEmpty();
    assertThat(b.deadLetters()).containsExactly(ofB);

    a.close();
    TrackingEventProcessor restarted = startLocal("view", failing);
    Await.until("the restarted one caught up", () -> restarted.lag().caughtUp());
    assertThat(restarted.deadLetters()).as("b's letter is b's").isEmpty();
    assertThat(lettersInTheLog()).isZero();
  }

  /**
   * A local processor's ledger is heap: a handler that rejects a common event would fill it at each
   * start. Beyond its limit a letter is logged and counted, not kept.
   */
  @Test
  void a_local_processor_keeps_no_more_letters_than_its_limit() {
    appendStreams(4, 1);
    TrackingEventProcessor processor =
        start(
            EventProcessor.local("bounded", store)
                .localLedgerLimit(2)
                .maxAttempts(1)
                .handler(
                    event -> {
                      throw new IllegalArgumentException("poisoned");
                    }));
    Await.until("all four failed", () -> processor.deadLettered() == 4);
    assertThat(processor.deadLetters()).hasSize(2);
  }

  /**
   * Two processors whose handlers fail on dead-letter records (an audit trail of every record, say)
   * dead-lettered each other's letters for ever: each letter about the other's letter was one more
   * record to fail on. A letter about a dead-letter record is not dead-lettered again, so the chain
   * ends after one round: each one's letter of the poison event, and each one's of the other's.
   */
  @Test
  void processors_failing_on_each_others_letters_stop_after_one_round() {
    appendStreams(1, 2);
    VersionedEventHandler failing =
        event -> {
          if (event.event() instanceof EventProcessingFailed || event.version() == 2) {
            throw new IllegalArgumentException("poisoned");
          }
        };
    TrackingEventProcessor x =
        start(
            EventProcessor.tracking("x", store)
                .maxAttempts(1)
                .checkpointInterval(Duration.ofMillis(1))
                .handler(failing));
    TrackingEventProcessor y =
        start(
            EventProcessor.tracking("y", store)
                .maxAttempts(1)
                .checkpointInterval(Duration.ofMillis(1))
                .handler(failing));
    Await.until("both caught up, or looping", () -> lettersInTheLog() > 4 || settled(x, y));

    assertThat(lettersInTheLog()).isEqualTo(4);
    assertThat(x.deadLetters()).hasSize(2);
    assertThat(y.deadLetters()).hasSize(2);
  }

  /**
   * A local processor and one of its name that records letters in the log under that name (an
   * earlier build's local processor in a rolling deploy, or a processor of the name on the store):
   * the local one takes those records as its name's, as a processor does its own, and does not
   * dead-letter them.
   */
  @Test
  void a_local_processor_does_not_dead_letter_the_letters_of_its_name_in_the_log() {
    appendStreams(1, 2);
    VersionedEventHandler failing =
        event -> {
          if (event.event() instanceof EventProcessingFailed || event.version() == 2) {
            throw new IllegalArgumentException("poisoned");
          }
        };
    TrackingEventProcessor shared =
        start(
            EventProcessor.tracking("view", store, io.cqrs.memory.InMemoryProcessors.create())
                .maxAttempts(1)
                .checkpointInterval(Duration.ofMillis(1))
                .handler(failing));
    TrackingEventProcessor local = startLocal("view", failing);
    Await.until(
        "both caught up, or looping", () -> lettersInTheLog() > 1 || settled(shared, local));

    assertThat(lettersInTheLog()).as("the shared one's letter of the poison event").isEqualTo(1);
    assertThat(local.deadLetters()).as("its own of the poison event").hasSize(1);
  }

  private long lettersInTheLog() {
    return store.readLog(1, 100_000).stream()
        .filter(entry -> entry.event().event() instanceof EventProcessingFailed)
        .count();
  }

  /** Both caught up, with no letter recorded in the log between the two looks. */
  private boolean settled(TrackingEventProcessor a, TrackingEventProcessor b) {
    long before = lettersInTheLog();
    return a.lag().caughtUp() && b.lag().caughtUp() && lettersInTheLog() == before;
  }

  private TrackingEventProcessor startLocal(String name, VersionedEventHandler handler) {
    return start(
        EventProcessor.local(name, store)
            .maxAttempts(1)
            .checkpointInterval(Duration.ofMillis(1))
            .handler(handler));
  }

  @Test
  void a_letters_replay_lock_lives_while_its_replays_run_and_wait_and_no_longer() throws Exception {
    appendStreams(3, 3);
    Set<String> poisoned = ConcurrentHashMap.newKeySet();
    poisoned.addAll(List.of("ledger-0", "ledger-1", "ledger-2"));
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean hold = new AtomicBoolean();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("locks", store)
                .maxAttempts(1)
                .handler(
                    event -> {
                      if (event.version() == 2 && poisoned.contains(event.sourceId())) {
                        if (hold.compareAndSet(true, false)) {
                          inside.countDown();
                          release.await();
                          poisoned.remove(event.sourceId());
                          return;
                        }
                        throw new IllegalArgumentException("poisoned");
                      }
                    }));
    Await.until("three dead letters", () -> processor.deadLetters().size() == 3);
    List<String> ids = processor.deadLetters().stream().map(ProcessorDeadLetter::id).toList();

    // Failed replays, successful ones and ids of no letter leave no lock behind.
    assertThat(processor.replayDeadLetter(ids.get(0)).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.FAILED);
    poisoned.remove("ledger-0");
    poisoned.remove("ledger-1");
    assertThat(processor.replayDeadLetter(ids.get(0)).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(processor.replayDeadLetter(ids.get(1)).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(processor.replayDeadLetter("no-such-letter").outcome())
        .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
    assertThat(processor.deadLetterReplaysInProgress()).isZero();

    // Two replays of one letter, the first held inside the handler: one lock while they run.
    hold.set(true);
    CompletableFuture<DeadLetterReplay> first =
        OwnThread.supplyAsync(() -> processor.replayDeadLetter(ids.get(2)));
    assertThat(inside.await(20, TimeUnit.SECONDS)).isTrue();
    Thread[] waiting = new Thread[1];
    CompletableFuture<DeadLetterReplay> second =
        OwnThread.supplyAsync(
            () -> {
              waiting[0] = Thread.currentThread();
              return processor.replayDeadLetter(ids.get(2));
            });
    Await.until(
        "the second replay to wait for the first",
        () ->
            waiting[0] != null
                && LockSupport.getBlocker(waiting[0]) instanceof AbstractQueuedSynchronizer);
    assertThat(processor.deadLetterReplaysInProgress()).isOne();
    release.countDown();

    assertThat(first.get(20, TimeUnit.SECONDS).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(second.get(20, TimeUnit.SECONDS).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
    assertThat(processor.deadLetterReplaysInProgress()).isZero();
  }

  @Test
  void with_stop_on_failure_the_segment_stops_before_the_poison_and_says_why() {
    appendStreams(1, 5);
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("strict", store)
                .maxAttempts(1)
                .stopOnFailure()
                .handler(
                    event -> {
                      if (event.version() == 4) {
                        throw new IllegalStateException("no 4");
                      }
                      recorder.handle(event);
                    }));
    Await.until("stopped", () -> processor.failure() != null);

    assertThat(processor.failure()).hasMessage("no 4");
    Await.until("checkpoint saved", () -> store.segments("strict").get(0).checkpoint() == 3);
    assertThat(recorder.versions.get("ledger-0")).containsExactly(1L, 2L, 3L);
    assertThat(processor.ownedSegments()).containsExactly(0);
    assertThat(processor.lag().caughtUp()).isFalse();
  }

  @Test
  void a_transient_failure_is_retried_until_it_passes() {
    appendStreams(1, 3);
    AtomicInteger failures = new AtomicInteger();
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("patient", store)
                .maxAttempts(1)
                .handler(
                    event -> {
                      if (event.version() == 2 && failures.getAndIncrement() < 5) {
                        throw new TransientCqrsException("read model away");
                      }
                      recorder.handle(event);
                    }));
    Await.until("caught up", () -> processor.lag().caughtUp());

    assertThat(failures.get()).isEqualTo(6);
    assertThat(recorder.versions.get("ledger-0")).containsExactly(1L, 2L, 3L);
    assertThat(store.readLog(1, 100))
        .noneMatch(e -> e.event().event() instanceof EventProcessingFailed);
  }

  @Test
  void pause_holds_events_back_and_resume_goes_on() {
    appendStreams(1, 2);
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("pausing", store).handler(recorder));
    Await.until("caught up", () -> processor.lag().caughtUp());

    processor.pause();
    Ledgers.append(store, "ledger-0", 3, CREATED);

    assertThat(processor.isPaused()).isTrue();
    assertThat(processor.lag().positionsBehind()).isEqualTo(3);
    assertThat(recorder.count()).isEqualTo(2);
    processor.resume();
    Await.until("resumed", () -> processor.lag().caughtUp());
    assertThat(recorder.count()).isEqualTo(5);
  }

  /**
   * pause() waited for every worker to park, and a resume() meanwhile let the worker go on: it
   * never parked, and pause() waited until the next pause or close.
   */
  @Test
  void a_pause_that_a_resume_ends_returns() throws Exception {
    appendStreams(1, 2);
    java.util.concurrent.CountDownLatch inHandler = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Recorder recorder = new Recorder();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("resumed", store)
                .handler(
                    event -> {
                      inHandler.countDown();
                      release.await();
                      recorder.handle(event);
                    }));
    Thread pausing = new Thread(processor::pause, "pausing");
    try {
      assertThat(inHandler.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      pausing.start();
      Await.until(
          "pause() waiting",
          () -> processor.isPaused() && pausing.getState() == Thread.State.WAITING);
      processor.resume();
      release.countDown();

      pausing.join(Duration.ofSeconds(10).toMillis());
      assertThat(pausing.isAlive()).as("pause() still waiting").isFalse();
      Await.until("the events handled", () -> recorder.count() == 2);
      assertThat(processor.isPaused()).isFalse();
    } finally {
      release.countDown();
      processor.close();
    }
  }

  /** A handler that pauses its own processor deadlocked: pause() waited for its own segment. */
  @Test
  void a_handler_that_pauses_its_processor_returns_and_the_processor_pauses() {
    appendStreams(1, 1);
    Recorder recorder = new Recorder();
    TrackingEventProcessor[] self = new TrackingEventProcessor[1];
    TrackingEventProcessor processor =
        EventProcessor.tracking("self-pausing", store)
            .handler(
                event -> {
                  recorder.handle(event);
                  if (event.version() == 1) {
                    self[0].pause();
                  }
                })
            .idleWait(Duration.ofMillis(5))
            .build();
    self[0] = processor;
    processor.start();
    try {
      Await.until("the first event handled", () -> recorder.count() == 1);
      // Returns once the worker parks, which it does only if the handler's own pause() returned.
      assertTimeoutPreemptively(Duration.ofSeconds(30), processor::pause);
      Ledgers.append(store, "ledger-0", 1, CREATED);
      assertThat(processor.isPaused()).isTrue();
      assertThat(processor.lag().positionsBehind()).isEqualTo(1);
      assertThat(recorder.count()).isEqualTo(1);
      processor.resume();
      Await.until("resumed", () -> recorder.count() == 2);
    } finally {
      closeWithin(processor, Duration.ofSeconds(10));
    }
  }

  /**
   * Two handlers on two segments that paused their processor at once each waited for the other's
   * segment to park, and neither could: both hung, and close() with them.
   */
  @Test
  void handlers_on_two_segments_that_pause_at_once_do_not_wait_for_each_other() throws Exception {
    java.util.concurrent.CyclicBarrier bothIn = new java.util.concurrent.CyclicBarrier(2);
    Recorder recorder = new Recorder();
    TrackingEventProcessor[] self = new TrackingEventProcessor[1];
    TrackingEventProcessor processor =
        EventProcessor.tracking("both-pausing", store)
            .segments(2)
            .handler(
                event -> {
                  bothIn.await(10, java.util.concurrent.TimeUnit.SECONDS);
                  self[0].pause();
                  recorder.handle(event);
                })
            .idleWait(Duration.ofMillis(5))
            .build();
    self[0] = processor;
    processor.start();
    try {
      Await.until("both segments held", () -> processor.ownedSegments().size() == 2);
      for (int segment = 0; segment < 2; segment++) {
        String stream = "ledger-0";
        for (int i = 1; TrackingEventProcessor.segmentOf(stream, 2) != segment; i++) {
          stream = "ledger-" + i;
        }
        Ledgers.append(store, stream, 1, CREATED);
      }

      Await.until("both handlers returned", () -> recorder.count() == 2);
      assertTimeoutPreemptively(Duration.ofSeconds(30), processor::pause);
      assertThat(processor.isPaused()).isTrue();
    } finally {
      closeWithin(processor, Duration.ofSeconds(10));
    }
  }

  /**
   * A handler that pauses its processor (say, on finding its database away) and then fails, on its
   * last attempt: the event was dead-lettered. It stays after the checkpoint for the resume now.
   */
  @Test
  void a_handler_that_pauses_then_fails_on_its_last_attempt_is_not_dead_lettered() {
    appendStreams(1, 1);
    AtomicInteger calls = new AtomicInteger();
    TrackingEventProcessor[] self = new TrackingEventProcessor[1];
    TrackingEventProcessor processor =
        EventProcessor.tracking("pause-then-fail", store)
            .maxAttempts(1)
            .handler(
                event -> {
                  if (calls.incrementAndGet() == 1) {
                    self[0].pause();
                    throw new IllegalStateException("the database is away");
                  }
                })
            .idleWait(Duration.ofMillis(5))
            .build();
    self[0] = processor;
    started.add(processor);
    processor.start();

    Await.until("the first call", () -> calls.get() == 1);
    assertTimeoutPreemptively(Duration.ofSeconds(30), processor::pause);
    assertThat(processor.deadLettered()).isZero();
    processor.resume();
    Await.until("tried again on resume", () -> calls.get() == 2);
    Await.until("caught up", () -> processor.lag().caughtUp());
    assertThat(processor.deadLettered()).isZero();
  }

  /** Closes on a thread of its own (a deadlocked handler would hold close() for ever). */
  private static void closeWithin(TrackingEventProcessor processor, Duration timeout) {
    Thread closing = new Thread(processor::close, "closing");
    closing.setDaemon(true);
    closing.start();
    try {
      closing.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertThat(closing.isAlive()).as("close() still waiting").isFalse();
  }

  @Test
  void a_different_segment_count_for_an_existing_processor_is_refused_at_start() {
    TrackingEventProcessor first =
        start(EventProcessor.tracking("fixed", store).handler(e -> {}).segments(4));
    first.close();

    TrackingEventProcessor other =
        EventProcessor.tracking("fixed", store).handler(e -> {}).segments(8).build();
    assertThatThrownBy(other::start)
        .isInstanceOfSatisfying(
            SegmentCountMismatchException.class,
            e -> {
              assertThat(e.processor()).isEqualTo("fixed");
              assertThat(e.stored()).isEqualTo(4);
              assertThat(e.requested()).isEqualTo(8);
            })
        .hasMessageContaining("has 4 segments in the store, not 8");
  }

  @Test
  void building_without_a_handler_or_with_bad_settings_fails_clearly() {
    assertThatThrownBy(() -> EventProcessor.tracking("x", store).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("handler");
    assertThatThrownBy(() -> EventProcessor.tracking(" ", store))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EventProcessor.tracking(EventRelay.processorName("audit"), store))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kept for EventRelay's lease");
    assertThatThrownBy(() -> EventProcessor.tracking("x", store).segments(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EventProcessor.tracking("x", store).batchSize(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * A duration the processor cannot add to its clock was taken, and failed far from where it was
   * set: an {@code unreadableRetry} of "never" ({@code ChronoUnit.FOREVER}) overflowed when the
   * first event this process could not read gave a segment up, which ended the coordination and
   * stopped every segment of the processor here instead of that one; a claim lifetime of centuries
   * overflowed its wait between rounds at start. Each is refused when set, naming the setting.
   */
  @Test
  void a_duration_too_long_to_reckon_with_is_refused_when_set() {
    Duration forever = ChronoUnit.FOREVER.getDuration();
    TrackingEventProcessor.Builder builder = EventProcessor.tracking("x", store);
    assertThatThrownBy(() -> builder.unreadableRetry(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unreadableRetry must be at most");
    assertThatThrownBy(() -> builder.claimTtl(Duration.ofDays(365L * 300)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("claimTtl must be at most");
    assertThatThrownBy(() -> builder.idleWait(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("idleWait must be at most");
    assertThatThrownBy(() -> builder.checkpointInterval(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checkpointInterval must be at most");
    assertThat(builder.unreadableRetry(Duration.ofDays(365)).claimTtl(Duration.ofDays(365)))
        .as("a year is still taken")
        .isSameAs(builder);
  }

  @Test
  void every_stream_lands_in_one_segment_and_the_segments_are_used_evenly() {
    Map<Integer, Integer> counts = new HashMap<>();
    for (int i = 0; i < 8000; i++) {
      int segment = TrackingEventProcessor.segmentOf("account-" + i, 8);
      assertThat(TrackingEventProcessor.segmentOf("account-" + i, 8)).isEqualTo(segment);
      counts.merge(segment, 1, Integer::sum);
    }
    assertThat(counts).hasSize(8);
    assertThat(counts.values()).allMatch(n -> n > 800 && n < 1200);
  }

  /**
   * A store may read fewer entries than asked for before the log's head (Couchbase stops at a
   * commit not written yet): the dead letters are folded on past such a short read, not taken to
   * end at it, so a dead letter written after it is listed and can be replayed.
   */
  @Test
  void dead_letters_after_a_short_read_of_the_log_are_listed() {
    EventStreamRepository shortReads =
        new ForwardingEventStreamRepository(store) {
          @Override
          public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
            return super.readLog(fromPosition, Math.min(maxEvents, 3));
          }
        };
    Ledgers.append(store, "ledger", 12, CREATED);
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("short", shortReads, store)
                .maxAttempts(1)
                .handler(
                    event -> {
                      if (event.version() == 10) {
                        throw new IllegalStateException("poison");
                      }
                    }));

    Await.until("dead-lettered", () -> processor.deadLettered() == 1);
    Await.until("caught up", () -> processor.lag().caughtUp());

    assertThat(processor.deadLetters())
        .singleElement()
        .satisfies(letter -> assertThat(letter.message()).isEqualTo("poison"));
  }
}
