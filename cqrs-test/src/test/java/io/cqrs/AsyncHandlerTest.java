package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A tracking processor with an asynchronous handler: what its checkpoints wait for. */
class AsyncHandlerTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final List<TrackingEventProcessor> started = new ArrayList<>();
  private final List<Long> startedVersions = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Void>> stages = new CopyOnWriteArrayList<>();

  private volatile boolean closing;

  @AfterEach
  void closeAll() {
    closing = true; // stages started from now on complete at once
    stages.forEach(stage -> stage.complete(null));
    started.forEach(TrackingEventProcessor::close);
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor processor = builder.idleWait(Duration.ofMillis(5)).build();
    started.add(processor);
    processor.start();
    return processor;
  }

  /** A stage the test never completes (closeAll() does, so a failing test still ends). */
  private CompletableFuture<Void> never() {
    CompletableFuture<Void> stage = new CompletableFuture<>();
    stages.add(stage);
    return stage;
  }

  /** Starts each event's work and leaves its stage for the test to complete. */
  private CompletableFuture<Void> held(VersionedEvent event) {
    startedVersions.add(event.version());
    CompletableFuture<Void> stage = new CompletableFuture<>();
    stages.add(stage);
    if (closing) {
      stage.complete(null);
    }
    return stage;
  }

  private long positionOf(long version) {
    return store.readLog(1, 1_000).stream()
        .filter(e -> e.event().version() == version)
        .mapToLong(LoggedEvent::position)
        .findFirst()
        .orElseThrow();
  }

  /**
   * One event in the log, and a processor with {@link #held} stages on it whose reads of the log's
   * end are counted in {@code emptyReads}.
   */
  private void startOnOneEvent(String name, Duration interval, AtomicInteger emptyReads) {
    Ledgers.append(store, "ledger", 1, CREATED);
    EventStreamRepository counting =
        new ForwardingEventStreamRepository(store) {
          @Override
          public List<LoggedEvent> readLogEvents(long fromPosition, int maxEvents) {
            List<LoggedEvent> page = super.readLogEvents(fromPosition, maxEvents);
            if (page.isEmpty()) {
              emptyReads.incrementAndGet();
            }
            return page;
          }
        };
    start(
        EventProcessor.tracking(name, counting, store)
            .checkpointInterval(interval)
            .asyncHandler(this::held));
  }

  /**
   * A failed stage is retried through the handler; while its failure lasts (a database away), a
   * pause ends the retry instead of waiting for it, and the event is started again on resume.
   */
  @Test
  void pause_returns_while_a_failed_stage_keeps_failing_and_resume_starts_it_again() {
    Ledgers.append(store, "ledger", 1, CREATED);
    AtomicBoolean away = new AtomicBoolean(true);
    AtomicInteger attempts = new AtomicInteger();
    List<Long> done = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("async-pause", store)
                .asyncHandler(
                    event -> {
                      attempts.incrementAndGet();
                      if (away.get()) {
                        return CompletableFuture.failedFuture(
                            new TransientCqrsException("the database is away"));
                      }
                      done.add(event.version());
                      return CompletableFuture.completedFuture(null);
                    }));
    Await.until("retrying", () -> attempts.get() >= 3);

    assertTimeoutPreemptively(Duration.ofSeconds(30), processor::pause);

    assertThat(done).isEmpty();
    assertThat(checkpoint("async-pause")).isZero();
    away.set(false);
    processor.resume();
    Await.until("the event done after the resume", () -> done.contains(1L));
  }

  /** Waits until the segment has read the log's end once more. */
  private static void awaitLogEndRead(AtomicInteger emptyReads) {
    int before = emptyReads.get();
    Await.until("the log's end read", () -> emptyReads.get() > before);
  }

  private long checkpoint(String name) {
    return store.segments(name).get(0).checkpoint();
  }

  @Test
  void events_are_started_without_waiting_and_the_checkpoint_waits_for_every_stage() {
    Ledgers.append(store, "ledger", 5, CREATED);
    TrackingEventProcessor processor =
        start(EventProcessor.tracking("async", store).asyncHandler(this::held));

    Await.until("all five started", () -> stages.size() == 5);
    for (int i = 0; i < 4; i++) {
      stages.get(i).complete(null);
    }
    // The fifth effect is not done: at the log's end the checkpoint moves to what has completed,
    // and never past the fifth.
    Await.until("checkpoint at the fourth", () -> checkpoint("async") == positionOf(4));
    assertThat(checkpoint("async")).isLessThan(positionOf(5));
    stages.get(4).complete(null);

    Await.until("checkpoint at the end", () -> checkpoint("async") == positionOf(5));
    assertThat(startedVersions).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(processor.lag().caughtUp()).isTrue();
  }

  @Test
  void a_slow_stage_at_the_logs_end_does_not_hold_up_the_events_committed_after_it() {
    AtomicInteger emptyReads = new AtomicInteger();
    // An interval of an hour: the interval's own case is the next test.
    startOnOneEvent("slow", Duration.ofHours(1), emptyReads);
    Await.until("the first started", () -> stages.size() == 1);
    // The segment has found the log's end while the first stage is still in flight.
    awaitLogEndRead(emptyReads);

    Ledgers.append(store, "ledger", 1, CREATED);

    Await.until("the second started while the first is held", () -> stages.size() == 2);
    assertThat(stages.get(0)).isNotDone();
    assertThat(checkpoint("slow")).isZero();
    stages.get(1).complete(null);
    // The second completed, the first not: the checkpoint may not pass the first.
    int afterSecond = emptyReads.get();
    Await.until("two more reads of the log's end", () -> emptyReads.get() > afterSecond + 1);
    assertThat(checkpoint("slow")).isZero();
    stages.get(0).complete(null);
    Await.until("checkpoint at the end", () -> checkpoint("slow") == positionOf(2));
  }

  @Test
  void a_slow_stage_does_not_hold_up_later_events_when_the_interval_checkpoint_falls_due() {
    // An interval so short that every page is followed by an interval checkpoint: those that
    // reach the log's end must not wait for the held stage either.
    AtomicInteger emptyReads = new AtomicInteger();
    startOnOneEvent("due", Duration.ofNanos(1), emptyReads);
    for (int n = 1; n <= 3; n++) {
      int expected = n;
      Await.until("event " + n + " started", () -> stages.size() == expected);
      awaitLogEndRead(emptyReads);
      if (n < 3) {
        Ledgers.append(store, "ledger", 1, CREATED);
      }
    }

    assertThat(stages.get(0)).isNotDone();
    assertThat(checkpoint("due")).isZero();
    stages.get(1).complete(null);
    stages.get(2).complete(null);
    stages.get(0).complete(null);
    Await.until("checkpoint at the end", () -> checkpoint("due") == positionOf(3));
  }

  @Test
  void a_full_batch_is_checkpointed_once_its_stages_completed_before_the_next_is_started() {
    Ledgers.append(store, "ledger", 5, CREATED);
    start(EventProcessor.tracking("bounded", store).batchSize(2).asyncHandler(this::held));

    Await.until("two started", () -> stages.size() == 2);
    assertThat(stages).hasSize(2); // the third waits for the batch's checkpoint
    assertThat(checkpoint("bounded")).isZero();
    stages.get(0).complete(null);
    stages.get(1).complete(null);
    Await.until("the next batch started", () -> stages.size() == 4);
    assertThat(checkpoint("bounded")).isEqualTo(positionOf(2));
    assertThat(startedVersions).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void a_failed_stage_rewinds_to_its_event_and_the_events_after_it_are_handled_again() {
    Ledgers.append(store, "ledger", 4, CREATED);
    AtomicBoolean failedOnce = new AtomicBoolean();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("rewind", store)
                .batchSize(100)
                .asyncHandler(
                    event -> {
                      startedVersions.add(event.version());
                      if (event.version() == 2 && failedOnce.compareAndSet(false, true)) {
                        return CompletableFuture.failedFuture(
                            new IllegalStateException("confirm refused"));
                      }
                      return CompletableFuture.completedFuture(null);
                    }));

    Await.until("checkpoint at the end", () -> checkpoint("rewind") == positionOf(4));

    // 2 failed after 3 and 4 were started: 2 again (retried, and waited for), then 3 and 4.
    assertThat(startedVersions).containsExactly(1L, 2L, 3L, 4L, 2L, 3L, 4L);
    assertThat(processor.deadLettered()).isZero();
    assertThat(processor.failure()).isNull();
  }

  /**
   * On the way out a segment waited up to a claim's lifetime for a stage that did not complete,
   * while nothing renewed its claim any more (the coordinator is closing): the claim ran out first,
   * and the checkpoint of the stages that had completed was refused, so they were handled again by
   * the next owner. The wait now ends before the claim does.
   */
  @Test
  void a_close_saves_the_checkpoint_of_what_completed_before_the_claim_runs_out() {
    Ledgers.append(store, "ledger", 2, CREATED);
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("closing", store)
                .claimTtl(Duration.ofMillis(1500))
                .checkpointInterval(Duration.ofHours(1))
                .asyncHandler(this::held));
    Await.until("both started", () -> stages.size() == 2);
    stages.get(0).complete(null); // version 2's stage never completes

    processor.close();

    assertThat(store.segments("closing").get(0).checkpoint()).isEqualTo(positionOf(1));
  }

  @Test
  void a_stage_that_keeps_failing_is_dead_lettered_like_a_failing_handler() {
    Ledgers.append(store, "ledger", 3, CREATED);
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("poison", store)
                .maxAttempts(2)
                .asyncHandler(
                    event -> {
                      startedVersions.add(event.version());
                      return event.version() == 2
                          ? CompletableFuture.failedFuture(new IllegalStateException("never"))
                          : CompletableFuture.completedFuture(null);
                    }));

    Await.until("dead-lettered", () -> processor.deadLettered() == 1);
    Await.until("caught up", () -> processor.lag().caughtUp());
    assertThat(processor.deadLetters())
        .singleElement()
        .satisfies(letter -> assertThat(letter.message()).isEqualTo("never"));
    // maxAttempts counts the first stage: it was tried once more than that before.
    assertThat(startedVersions).filteredOn(version -> version == 2).hasSize(2);
  }

  /**
   * A failed stage is retried through the synchronous retry policy, which waited for the retried
   * stage with no bound: one that never completed (a confirm that never comes) held close() for
   * ever. A stop now ends that wait; the event stays after the checkpoint.
   */
  @Test
  void a_close_while_a_retried_stage_never_completes_returns() {
    Ledgers.append(store, "ledger", 1, CREATED);
    AtomicInteger calls = new AtomicInteger();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("hanging", store)
                .maxAttempts(3)
                // The stop waits for the stage at most the claim's life, then gives it up: short
                // here, or the test waits out the default 30 s.
                .claimTtl(Duration.ofSeconds(3))
                .asyncHandler(
                    event ->
                        calls.incrementAndGet() == 1
                            ? CompletableFuture.failedFuture(new IllegalStateException("first"))
                            : never()));
    Await.until("the retried stage started", () -> calls.get() == 2);

    assertTimeoutPreemptively(Duration.ofSeconds(30), processor::close);

    assertThat(calls).hasValue(2);
    assertThat(processor.failure()).isNull();
    assertThat(store.segments("hanging").get(0).checkpoint()).isZero();
  }

  /**
   * An {@code Error} that is not fatal (an assertion, a stack overflow in the handler's code), from
   * a stage or thrown by the start itself, goes through the retry policy and the dead letters like
   * any failure of a synchronous handler, and the events after it are handled.
   */
  @Test
  void a_stage_failing_with_an_error_is_dead_lettered_and_the_segment_goes_on() {
    Ledgers.append(store, "ledger", 4, CREATED);
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("errors", store)
                .maxAttempts(1)
                .asyncHandler(
                    event -> {
                      startedVersions.add(event.version());
                      if (event.version() == 2) {
                        return CompletableFuture.failedFuture(new AssertionError("stage"));
                      }
                      if (event.version() == 3) {
                        throw new AssertionError("start");
                      }
                      return CompletableFuture.completedFuture(null);
                    }));

    Await.until("both dead-lettered", () -> processor.deadLettered() == 2);
    Await.until("caught up", () -> processor.lag().caughtUp());
    assertThat(processor.failure()).isNull();
    assertThat(processor.deadLetters())
        .extracting(letter -> letter.message())
        .containsExactly("stage", "start");
    assertThat(startedVersions).contains(4L);
  }
}
