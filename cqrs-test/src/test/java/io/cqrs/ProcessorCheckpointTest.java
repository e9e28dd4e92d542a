package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import io.cqrs.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When a tracking processor saves its checkpoint: at the end of the log, every {@code batchSize}
 * positions or {@code checkpointInterval} while busy, on pause and on stop, and never once per
 * read; and what a crash costs: the events since the last checkpoint, no more.
 */
class ProcessorCheckpointTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration NEVER = Duration.ofHours(1);

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final SavedCheckpoints processors = new SavedCheckpoints(store);
  private final MutableClock clock = new MutableClock(CREATED);
  private final List<TrackingEventProcessor> started = new ArrayList<>();

  @AfterEach
  void closeAll() {
    started.forEach(TrackingEventProcessor::close);
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor processor = builder.idleWait(Duration.ofMillis(5)).clock(clock).build();
    started.add(processor);
    processor.start();
    return processor;
  }

  private TrackingEventProcessor.Builder tracking(String name) {
    return EventProcessor.tracking(name, store, processors);
  }

  private long positionOf(long version) {
    return store.readLog(1, 1_000).stream()
        .filter(e -> e.event().version() == version)
        .mapToLong(LoggedEvent::position)
        .findFirst()
        .orElseThrow();
  }

  private long checkpoint(String name) {
    return store.segments(name).get(0).checkpoint();
  }

  /**
   * A handler that, on each event below {@code last}, appends the next one before it returns, so
   * that every read finds exactly one new event and the log's end is only reached after {@code
   * last}: a segment that is busy all along.
   */
  private VersionedEventHandler chained(long last, Runnable eachEvent) {
    return event -> {
      eachEvent.run();
      if (event.version() < last) {
        Ledgers.append(store, "ledger", 1, CREATED);
      }
    };
  }

  @Test
  void a_busy_segment_saves_no_checkpoint_per_read_only_when_it_reaches_the_end_of_the_log() {
    Ledgers.append(store, "ledger", 1, CREATED);
    TrackingEventProcessor processor =
        start(
            tracking("busy")
                .batchSize(100)
                .checkpointInterval(NEVER)
                .handler(chained(5, () -> {})));

    // The recorder notes a checkpoint after the store saved it: wait for the last one too.
    Await.until(
        "caught up and the last checkpoint recorded",
        () -> processor.lag().caughtUp() && processors.saved.contains(positionOf(5)));

    // Five reads of one event each, then an empty one: one checkpoint, at the end.
    assertThat(processors.saved).containsExactly(positionOf(5));
  }

  @Test
  void a_busy_segment_saves_every_batch_size_positions() {
    Ledgers.append(store, "ledger", 1, CREATED);
    TrackingEventProcessor processor =
        start(
            tracking("batches")
                .batchSize(3)
                .checkpointInterval(NEVER)
                .handler(chained(10, () -> {})));

    // The recorder notes a checkpoint after the store saved it: wait for the last one too.
    Await.until(
        "caught up and the last checkpoint recorded",
        () -> processor.lag().caughtUp() && processors.saved.contains(positionOf(10)));

    assertThat(processors.saved)
        .containsExactly(positionOf(3), positionOf(6), positionOf(9), positionOf(10));
  }

  @Test
  void catching_up_on_history_saves_after_each_full_batch_and_at_the_end() {
    Ledgers.append(store, "ledger", 10, CREATED);
    TrackingEventProcessor processor =
        start(tracking("history").batchSize(4).checkpointInterval(NEVER).handler(event -> {}));

    // The recorder notes a checkpoint after the store saved it: wait for the last one too.
    Await.until(
        "caught up and the last checkpoint recorded",
        () -> processor.lag().caughtUp() && processors.saved.contains(positionOf(10)));

    assertThat(processors.saved).containsExactly(positionOf(4), positionOf(8), positionOf(10));
  }

  @Test
  void a_busy_segment_saves_at_least_once_per_checkpoint_interval() {
    Ledgers.append(store, "ledger", 1, CREATED);
    // Each event takes 600 ms on the processor's clock.
    TrackingEventProcessor processor =
        start(
            tracking("timed")
                .batchSize(100)
                .checkpointInterval(Duration.ofSeconds(1))
                .handler(chained(5, () -> clock.advance(Duration.ofMillis(600)))));

    // The recorder notes a checkpoint after the store saved it: wait for the last one too.
    Await.until(
        "caught up and the last checkpoint recorded",
        () -> processor.lag().caughtUp() && processors.saved.contains(positionOf(5)));

    // 1.2 s after the start at event 2, 1.2 s later at event 4, then at the end of the log.
    assertThat(processors.saved).containsExactly(positionOf(2), positionOf(4), positionOf(5));
  }

  @Test
  void pause_returns_with_the_checkpoint_at_the_last_event_handled() throws Exception {
    Ledgers.append(store, "ledger", 5, CREATED);
    Blocker blocker = new Blocker(3);
    TrackingEventProcessor processor =
        start(tracking("pausing").batchSize(100).checkpointInterval(NEVER).handler(blocker));
    blocker.entered.await();

    Thread pausing = new Thread(processor::pause);
    pausing.start();
    Await.until("pausing", processor::isPaused);
    blocker.release.countDown();
    pausing.join();

    assertThat(processors.saved).containsExactly(positionOf(3));
    assertThat(checkpoint("pausing")).isEqualTo(positionOf(3));
    processor.resume();
    Await.until("resumed", () -> processor.lag().caughtUp());
    assertThat(blocker.versions).containsExactly(1L, 2L, 3L, 4L, 5L);
  }

  @Test
  void close_saves_the_checkpoint_at_the_last_event_handled() throws Exception {
    Ledgers.append(store, "ledger", 5, CREATED);
    Blocker blocker = new Blocker(3);
    TrackingEventProcessor processor =
        start(tracking("closing").batchSize(100).checkpointInterval(NEVER).handler(blocker));
    blocker.entered.await();

    Thread closing = new Thread(processor::close);
    closing.start();
    Await.until("close waits for the segment", () -> joining(closing));
    blocker.release.countDown();
    closing.join();

    assertThat(processors.saved).containsExactly(positionOf(3));
    assertThat(store.segments("closing").get(0).owner()).isNull();
  }

  /**
   * A handler that does not return on one segment must not keep the other segments' claims from the
   * processes that would take them over: each segment releases its own on its way out.
   */
  @Test
  void close_releases_the_other_segments_while_one_handler_has_not_returned() throws Exception {
    String stuck = streamIn(0, 2);
    String free = streamIn(1, 2);
    Ledgers.append(store, stuck, 1, CREATED);
    Ledgers.append(store, free, 1, CREATED);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> handled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            tracking("two")
                .segments(2)
                .handler(
                    event -> {
                      handled.add(event.sourceId());
                      if (event.sourceId().equals(stuck)) {
                        entered.countDown();
                        release.await();
                      }
                    }));
    entered.await();
    Await.until("segment 1 handled its event", () -> handled.contains(free));

    Thread closing = new Thread(processor::close);
    closing.start();
    try {
      Await.until(
          "segment 1 released while segment 0's handler runs",
          () -> store.segments("two").get(1).owner() == null);
      assertThat(closing.isAlive()).isTrue();
      assertThat(store.segments("two").get(0).owner()).isNotNull();
    } finally {
      release.countDown(); // a failure above must not leave the close (and the suite) hanging
    }
    closing.join();
    assertThat(store.segments("two").get(0).owner()).isNull();
  }

  /** A stream name whose events fall in {@code segment} of {@code segments}. */
  private static String streamIn(int segment, int segments) {
    for (int i = 0; ; i++) {
      String stream = "ledger-" + i;
      if (TrackingEventProcessor.segmentOf(stream, segments) == segment) {
        return stream;
      }
    }
  }

  @Test
  void a_crash_replays_only_the_events_after_the_last_checkpoint() throws Exception {
    Ledgers.append(store, "ledger", 10, CREATED);
    Blocker first = new Blocker(7);
    TrackingEventProcessor crashing =
        start(
            tracking("crash")
                .batchSize(4)
                .checkpointInterval(NEVER)
                .claimTtl(Duration.ofMillis(50))
                .handler(first));
    first.entered.await();

    Thread crash = new Thread(crashing::halt); // as SIGKILL would: no final checkpoint
    crash.start();
    Await.until("halt waits for the segment", () -> joining(crash));
    first.release.countDown();
    crash.join();
    assertThat(first.versions).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(checkpoint("crash")).isEqualTo(positionOf(4));

    clock.advance(Duration.ofSeconds(1)); // the crashed process's claim runs out
    Blocker second = new Blocker(Long.MAX_VALUE);
    TrackingEventProcessor restarted =
        start(tracking("crash").batchSize(4).checkpointInterval(NEVER).handler(second));
    Await.until("caught up", () -> restarted.lag().caughtUp());

    assertThat(second.versions).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
  }

  @Test
  void a_segment_whose_claim_was_taken_over_writes_no_checkpoint_and_stops() throws Exception {
    Ledgers.append(store, "ledger", 5, CREATED);
    Blocker blocker = new Blocker(3);
    TrackingEventProcessor processor =
        start(tracking("fenced").batchSize(100).checkpointInterval(NEVER).handler(blocker));
    blocker.entered.await();

    // Another process takes the segment over after the claim ran out on its clock; this one's
    // clock still finds the claim valid, so only the store's fencing can stop its writes.
    Instant later = clock.instant().plus(Duration.ofMinutes(1));
    Optional<SegmentClaim> taken = store.claim("fenced", 0, "thief", later, Duration.ofMinutes(5));
    assertThat(taken).isPresent();
    blocker.release.countDown();

    Await.until("stopped the segment", () -> processor.ownedSegments().isEmpty());
    SegmentState state = store.segments("fenced").get(0);
    assertThat(state.owner()).isEqualTo("thief");
    assertThat(state.checkpoint()).isZero();
    assertThat(processors.saved).isEmpty();
    assertThat(processors.refused).isNotEmpty();
  }

  /** Records the handled versions and blocks at one of them until released. */
  private static final class Blocker implements VersionedEventHandler {
    final long at;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<Long> versions = new CopyOnWriteArrayList<>();

    Blocker(long at) {
      this.at = at;
    }

    @Override
    public void handle(VersionedEvent event) throws InterruptedException {
      versions.add(event.version());
      if (event.version() == at) {
        entered.countDown();
        release.await();
      }
    }
  }

  /**
   * Whether {@code thread} is in {@code Thread.join}, as close and halt are while the segment's
   * worker finishes: its state alone would also say WAITING while it waits for the processor's
   * lock.
   */
  private static boolean joining(Thread thread) {
    return Arrays.stream(thread.getStackTrace())
        .anyMatch(
            frame ->
                frame.getClassName().equals(Thread.class.getName())
                    && frame.getMethodName().equals("join"));
  }

  /**
   * The store's processor part as one process's coordinator uses it, recording its rounds: every
   * heartbeat, those that found two members, the latest clock time segment 0 was claimed or renewed
   * at, and the first claim of segment 1 that was refused (another process holds it).
   */
  static final class Rounds extends ForwardingProcessorStore {
    final AtomicInteger heartbeats = new AtomicInteger();
    final AtomicInteger withTwoMembers = new AtomicInteger();
    final AtomicLong segmentZeroRenewedAt = new AtomicLong();
    final Set<Long> segmentOneTokens = ConcurrentHashMap.newKeySet(); // one per claim, not renewal
    final CountDownLatch segmentOneRefused = new CountDownLatch(1);

    Rounds(ProcessorStore delegate) {
      super(delegate);
    }

    @Override
    public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
      heartbeats.incrementAndGet();
      List<String> members = super.heartbeat(processor, owner, now, ttl);
      if (members.size() == 2) {
        withTwoMembers.incrementAndGet();
      }
      return members;
    }

    @Override
    public Optional<SegmentClaim> claim(
        String processor, int segment, String owner, Instant now, Duration ttl) {
      Optional<SegmentClaim> claim = super.claim(processor, segment, owner, now, ttl);
      if (segment == 0 && claim.isPresent()) {
        segmentZeroRenewedAt.accumulateAndGet(now.toEpochMilli(), Math::max);
      }
      if (segment == 1 && claim.isEmpty()) {
        segmentOneRefused.countDown();
      }
      if (segment == 1 && claim.isPresent()) {
        segmentOneTokens.add(claim.get().token());
      }
      return claim;
    }
  }

  /** The store's processor part, recording the checkpoints saved and those it refused. */
  /**
   * A process that hands a segment over, whose handler is still working on it, must not stop
   * renewing its other claims meanwhile: the coordinator used to wait for the segment's thread, so
   * every other claim ran out, was taken by the process that joined, and was lost and claimed back
   * (events handled twice, claims flapping). Here the hand-over waits on a handler that never
   * returns until the test says so, while the clock moves past the claims' first expiry.
   */
  @Test
  void a_hand_over_waiting_on_a_slow_handler_keeps_the_other_claims_renewed() throws Exception {
    String first = streamOfSegment(0);
    String second = streamOfSegment(1);
    Rounds watched = new Rounds(store);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TrackingEventProcessor leaving = blockingOn(second, "handover", watched, entered, release);
    long token = store.segments("handover").get(0).token();
    Ledgers.append(store, second, 1, CREATED);
    entered.await();

    List<String> joinedSaw = new CopyOnWriteArrayList<>();
    TrackingEventProcessor joining =
        start(
            EventProcessor.tracking("handover", store)
                .segments(2)
                .claimTtl(Duration.ofMillis(300))
                .handler(event -> joinedSaw.add(event.sourceId())));

    try {
      awaitRenewalsDuringHandOver(watched);
      assertThat(store.segments("handover").get(0).token()).isEqualTo(token);
      assertThat(joining.ownedSegments()).isEmpty(); // segment 1 is still being handed over
    } finally {
      release.countDown(); // a failure must not leave the handler, and close, waiting for ever
    }
    Await.until("segment 1 handed over", () -> joining.ownedSegments().equals(List.of(1)));
    assertThat(leaving.ownedSegments()).containsExactly(0);
    assertThat(store.segments("handover").get(0).token()).isEqualTo(token);
    Ledgers.append(store, first, 1, CREATED);
    Ledgers.append(store, second, 1, CREATED);
    Await.until(
        "the second stream's next event handled by its new owner", () -> joinedSaw.size() == 1);
    assertThat(joinedSaw).containsExactly(second); // not the event the first owner handled
  }

  /**
   * A segment another process took over while its handler is still working: the coordinator must
   * not wait for that handler before it renews the process's other claims.
   */
  @Test
  void a_segment_lost_while_its_handler_works_does_not_hold_up_the_other_claims() throws Exception {
    String second = streamOfSegment(1);
    Rounds watched = new Rounds(store);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TrackingEventProcessor losing = blockingOn(second, "lost", watched, entered, release);
    Ledgers.append(store, second, 1, CREATED);
    entered.await();
    try {
      // Another process takes segment 1 over, its claim run out on that process's clock.
      Instant later = clock.instant().plus(Duration.ofMinutes(1));
      assertThat(store.claim("lost", 1, "thief", later, Duration.ofMinutes(5))).isPresent();
      // The round that found it lost has decided what to do with its thread.
      watched.segmentOneRefused.await();
      clock.advance(Duration.ofMillis(200));
      long moved = clock.millis();
      Await.until(
          "segment 0 renewed while the lost segment's handler works",
          () -> watched.segmentZeroRenewedAt.get() >= moved);
    } finally {
      release.countDown();
    }
    Await.until("segment 1 left", () -> losing.ownedSegments().equals(List.of(0)));
    assertThat(store.segments("lost").get(1).owner()).isEqualTo("thief");
  }

  /**
   * A segment whose thread had already stopped (on a failure, with {@code stopOnFailure}) when a
   * joining process made it this process's to hand over: there is no thread left to release it on
   * its way out, so the coordinator does, and the process keeps its share, not one segment more.
   */
  @Test
  void a_segment_stopped_on_a_failure_is_still_handed_over() {
    String second = streamOfSegment(1);
    TrackingEventProcessor failing =
        start(
            EventProcessor.tracking("stopped-handover", store)
                .segments(2)
                .claimTtl(Duration.ofMillis(300))
                .stopOnFailure()
                .maxAttempts(1)
                .handler(
                    event -> {
                      if (event.sourceId().equals(second)) {
                        throw new IllegalStateException("broken");
                      }
                    }));
    Await.until("both segments held", () -> failing.ownedSegments().equals(List.of(0, 1)));
    Ledgers.append(store, second, 1, CREATED);
    Await.until("segment 1 stopped", () -> failing.failure() != null);

    TrackingEventProcessor joining =
        start(
            EventProcessor.tracking("stopped-handover", store)
                .segments(2)
                .claimTtl(Duration.ofMillis(300))
                .handler(event -> {}));

    Await.until("segment 1 handed over", () -> joining.ownedSegments().equals(List.of(1)));
    assertThat(failing.ownedSegments()).containsExactly(0);
  }

  /**
   * A segment whose thread stopped on a claim that ran out waited, on its way out, for its
   * asynchronous stages (up to a claim's lifetime), and the coordinator must not wait with it, or
   * the process's other claims run out meanwhile. It no longer waits at all (a checkpoint under the
   * run-out claim would be refused), and the rounds go on. Here only segment 1's thread sees a
   * clock past its claim, and its one stage never completes until the test ends.
   */
  @Test
  void a_segment_stopping_on_an_expired_claim_does_not_hold_up_the_coordinator() {
    String second = streamOfSegment(1);
    AtomicBoolean segmentOneLate = new AtomicBoolean();
    // The test's clock, an hour later on segment 1's thread once it is late.
    Clock perThread =
        new MutableClock(CREATED) {
          @Override
          public long millis() {
            boolean late =
                segmentOneLate.get()
                    && Thread.currentThread().getName().equals("cqrs-processor-stall-1");
            return clock.millis() + (late ? Duration.ofHours(1).toMillis() : 0);
          }
        };
    Rounds counting = new Rounds(store);
    CompletableFuture<Void> held = new CompletableFuture<>();
    CountDownLatch stageStarted = new CountDownLatch(1);
    TrackingEventProcessor processor =
        EventProcessor.tracking("stall", store, counting)
            .segments(2)
            .claimTtl(Duration.ofSeconds(3))
            .idleWait(Duration.ofMillis(5))
            .clock(perThread)
            .asyncHandler(
                event -> {
                  if (event.sourceId().equals(second) && event.version() == 1) {
                    stageStarted.countDown();
                    return held;
                  }
                  return CompletableFuture.completedFuture(null);
                })
            .build();
    started.add(processor);
    processor.start();
    try {
      Await.until("both segments held", () -> processor.ownedSegments().equals(List.of(0, 1)));
      Ledgers.append(store, second, 1, CREATED); // its stage stays in flight
      Await.until("the stage started", () -> stageStarted.getCount() == 0);
      Thread segmentOne = segmentThread("stall", 1);
      segmentOneLate.set(true);
      Ledgers.append(store, second, 1, CREATED); // read on a claim run out: the segment stops
      int before = counting.heartbeats.get();
      Await.until(
          "segment 1's thread to end without waiting for its stage",
          () -> !segmentOne.isAlive() && !held.isDone());
      // Rounds come every second.
      Await.until("two more rounds", () -> counting.heartbeats.get() >= before + 2);
    } finally {
      held.complete(null);
    }
  }

  /**
   * A segment that stops at an event this process cannot read waits, on its way out, for its
   * asynchronous stages in flight (up to a claim's lifetime: a broker that holds its confirms). The
   * coordinator gave such a segment up by joining its thread, so meanwhile it renewed none of the
   * process's other claims: a segment still working on the events before that one (its handler
   * slow) lost its claim, and another process took it over while its handler ran. The segment must
   * leave as a segment handed over does, its claim renewed until its thread releases it. Here
   * segment 0's handler works on an earlier event, and segment 1's stage holds its thread, until
   * the test lets them go.
   */
  @Test
  void a_segment_given_up_at_an_unreadable_event_does_not_hold_up_the_other_claims()
      throws Exception {
    String first = streamOfSegment(0);
    String second = streamOfSegment(1);
    AtomicLong poison = new AtomicLong(Long.MAX_VALUE);
    EventStreamRepository olderBuild = OlderBuild.reading(store, poison::get);
    Rounds watched = new Rounds(store);
    CountDownLatch working = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    HeldStage held = new HeldStage();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("giving-up", olderBuild, watched)
                .segments(2)
                .claimTtl(Duration.ofMillis(300))
                // Shorter than the way out below takes on the clock: the retry must still wait.
                .unreadableRetry(Duration.ofMillis(300))
                .asyncHandler(
                    event -> {
                      if (event.sourceId().equals(first)) {
                        working.countDown();
                        awaitQuietly(done);
                        return CompletableFuture.completedFuture(null);
                      }
                      return held;
                    }));
    Await.until("both segments held", () -> processor.ownedSegments().equals(List.of(0, 1)));
    long token = store.segments("giving-up").get(0).token();
    try {
      Ledgers.append(store, first, 1, CREATED);
      assertThat(working.await(Await.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
          .as("segment 0's handler works on it")
          .isTrue();
      Ledgers.append(store, second, 1, CREATED); // segment 1's stage stays in flight
      long started = store.logHead();
      poison.set(started + 1);
      Ledgers.append(store, second, 1, CREATED); // this process cannot read it
      assertThat(held.waitedFor.await(Await.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
          .as("segment 1 stopped there, and its thread waits for the stage")
          .isTrue();

      clock.advance(Duration.ofMillis(200));
      long moved = clock.millis();
      Await.until(
          "segment 0 renewed while segment 1 leaves",
          () -> watched.segmentZeroRenewedAt.get() >= moved);
      // That round renews segment 1's claim after segment 0's: the clock moves on after it.
      int rounds = watched.heartbeats.get();
      Await.until("the next round", () -> watched.heartbeats.get() > rounds);
      clock.advance(Duration.ofMillis(200)); // past the claims taken before the clock moved
      long movedAgain = clock.millis();
      Await.until(
          "segment 0 renewed again", () -> watched.segmentZeroRenewedAt.get() >= movedAgain);
      assertThat(store.segments("giving-up").get(0).token()).isEqualTo(token);
      assertThat(processor.failure())
          .hasMessageContaining("segment 1 cannot read the log after position " + started);
      // The way out takes longer still on the clock, past the retry counted from the stop (which
      // the coordinator saw by the rounds above).
      for (int step = 0; step < 2; step++) {
        clock.advance(Duration.ofMillis(200));
        long now = clock.millis();
        Await.until("segment 0 renewed", () -> watched.segmentZeroRenewedAt.get() >= now);
      }

      int claims = watched.segmentOneTokens.size(); // renewals since keep the token

      held.complete(null);
      Await.until(
          "segment 1 given up",
          () ->
              store.segments("giving-up").get(1).owner() == null
                  && processor.ownedSegments().equals(List.of(0)));
      assertThat(store.segments("giving-up").get(1).checkpoint()).isEqualTo(started);

      // The retry is counted from the release: with the clock still, rounds go by and this
      // process does not claim segment 1 back; once the clock passes the retry, it does.
      int released = watched.heartbeats.get();
      Await.until("three rounds after the release", () -> watched.heartbeats.get() >= released + 3);
      assertThat(watched.segmentOneTokens)
          .as("claims of segment 1 before its retry is due")
          .hasSize(claims);
      clock.advance(Duration.ofMillis(300));
      Await.until("segment 1 tried again", () -> watched.segmentOneTokens.size() > claims);
    } finally {
      done.countDown();
      held.complete(null);
    }
  }

  /**
   * A stage that holds whoever waits for it with a time limit until it completes, as a stage whose
   * confirm is late holds a segment's way out for up to a claim's lifetime.
   */
  private static final class HeldStage extends CompletableFuture<Void> {
    final CountDownLatch waitedFor = new CountDownLatch(1);

    @Override
    public Void get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException {
      waitedFor.countDown();
      return get();
    }
  }

  /**
   * Waits for the rounds after the one that handed segment 1 over, and for segment 0's renewals
   * while the clock moves past the claims taken before.
   */
  private void awaitRenewalsDuringHandOver(Rounds rounds) {
    // The round that saw the new member handed segment 1 over; the next rounds come regardless.
    Await.until("two rounds seeing both members", () -> rounds.withTwoMembers.get() >= 2);
    clock.advance(Duration.ofMillis(200));
    long moved = clock.millis();
    Await.until(
        "segment 0 renewed after the clock moved",
        () -> rounds.segmentZeroRenewedAt.get() >= moved);
    clock.advance(Duration.ofMillis(200)); // past the claims taken before the clock moved
    long movedAgain = clock.millis();
    Await.until("segment 0 renewed again", () -> rounds.segmentZeroRenewedAt.get() >= movedAgain);
  }

  /**
   * A two-segment processor on {@code processors} with a claim lifetime of 300 ms whose handler, on
   * each event of {@code stream}, counts down {@code entered} and waits for {@code release};
   * started, with both segments held.
   */
  private TrackingEventProcessor blockingOn(
      String stream,
      String name,
      ProcessorStore processors,
      CountDownLatch entered,
      CountDownLatch release) {
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking(name, store, processors)
                .segments(2)
                .claimTtl(Duration.ofMillis(300))
                .handler(
                    event -> {
                      if (event.sourceId().equals(stream)) {
                        entered.countDown();
                        release.await();
                      }
                    }));
    Await.until("both segments held", () -> processor.ownedSegments().equals(List.of(0, 1)));
    return processor;
  }

  /** A stream that the two-segment processors of these tests handle in {@code segment}. */
  private static String streamOfSegment(int segment) {
    for (int i = 0; ; i++) {
      String stream = "ledger-" + i;
      if (TrackingEventProcessor.segmentOf(stream, 2) == segment) {
        return stream;
      }
    }
  }

  /**
   * A handler that fails while the processor closes (or hands the segment over) has not failed for
   * good: the event stays after the checkpoint for whoever works the segment next, and {@code
   * failure()}, which health reports, stays clear.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void a_handler_failing_while_the_processor_closes_is_not_reported_as_a_failure(boolean error)
      throws Exception {
    Ledgers.append(store, "ledger", 2, CREATED);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TrackingEventProcessor processor =
        start(
            tracking("closing-failure")
                .maxAttempts(3)
                .handler(
                    event -> {
                      if (event.version() == 2) {
                        entered.countDown();
                        release.await();
                        if (error) {
                          throw new AssertionError("failed while closing");
                        }
                        throw new IllegalStateException("failed while closing");
                      }
                    }));
    entered.await();

    Thread closing = new Thread(processor::close);
    closing.start();
    Await.until("close waits for the segment", () -> joining(closing));
    release.countDown();
    closing.join();

    assertThat(processor.failure()).isNull();
    assertThat(processor.deadLettered()).isZero(); // nor a dead letter written on the way out
    assertThat(checkpoint("closing-failure")).isEqualTo(positionOf(1));
  }

  /**
   * The coordinator renews a claim before it runs out and hands the renewal to the segment's
   * thread; between the two, that thread found its old claim run out on the clock and stopped. The
   * renewal kept the token, so the segment stayed this process's, renewed every round, with no
   * thread working it: its events waited for ever, and nothing reported a failure. The next round
   * must notice the stopped thread and start the segment again from its checkpoint.
   */
  @Test
  void a_segment_that_stopped_on_its_claim_while_the_renewal_landed_is_started_again()
      throws Exception {
    Ledgers.append(store, "ledger", 1, CREATED);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch renew = new CountDownLatch(1);
    CountDownLatch renewed = new CountDownLatch(1);
    CountDownLatch hand = new CountDownLatch(1);
    AtomicBoolean armed = new AtomicBoolean();
    ProcessorStore racing =
        new ForwardingProcessorStore(store) {
          @Override
          public Optional<SegmentClaim> claim(
              String processor, int segment, String owner, Instant now, Duration ttl) {
            if (!armed.compareAndSet(true, false)) {
              return super.claim(processor, segment, owner, now, ttl);
            }
            entered.countDown();
            awaitQuietly(renew);
            // The renewal is read off the clock the test has moved on meanwhile.
            Optional<SegmentClaim> claim =
                super.claim(processor, segment, owner, clock.instant(), ttl);
            renewed.countDown();
            awaitQuietly(hand); // held: the segment's thread still has the claim from before
            return claim;
          }
        };
    List<Long> handled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("renewal", store, racing)
                .claimTtl(Duration.ofMillis(300))
                .handler(event -> handled.add(event.version())));
    Await.until("the first event handled", () -> handled.contains(1L));

    armed.set(true);
    entered.await(); // the coordinator's next round is renewing
    clock.advance(Duration.ofMillis(250)); // the segment's claim still holds for 50 ms
    renew.countDown();
    renewed.await(); // renewed until 300 ms from now, same token; not yet handed over
    clock.advance(Duration.ofMillis(100)); // the segment's own claim has run out
    Ledgers.append(store, "ledger", 1, CREATED);
    Await.until("the segment's thread stopped", () -> !segmentThreadAlive("renewal"));
    hand.countDown();

    Await.until("the second event handled", () -> handled.contains(2L));
    assertThat(handled).containsExactly(1L, 2L);
    assertThat(processor.ownedSegments()).containsExactly(0);
    assertThat(processor.failure()).isNull();
  }

  private static boolean segmentThreadAlive(String processor) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(thread -> thread.getName().equals("cqrs-processor-" + processor + "-0"));
  }

  /** The thread working {@code segment} of {@code processor} now. */
  private static Thread segmentThread(String processor, int segment) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("cqrs-processor-" + processor + "-" + segment))
        .findFirst()
        .orElseThrow();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final class SavedCheckpoints extends ForwardingProcessorStore {
    final List<Long> saved = new CopyOnWriteArrayList<>();
    final List<Long> refused = new CopyOnWriteArrayList<>();

    SavedCheckpoints(ProcessorStore delegate) {
      super(delegate);
    }

    @Override
    public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
      try {
        super.saveCheckpoint(claim, position, now);
        saved.add(position);
      } catch (RuntimeException e) {
        refused.add(position);
        throw e;
      }
    }
  }
}
