package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import io.cqrs.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Adversarial tests of TrackingEventProcessor's asynchronous, failure and hand-over paths (an
 * adversarial run wrote them; two failed before their fixes: failure() forgetting a stopped
 * segment, and pause() returning with the checkpoint behind a stage that had completed before
 * another failed).
 */
class AsyncAndFailureAdversaryTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final List<TrackingEventProcessor> started = new ArrayList<>();
  private final List<CompletableFuture<Void>> stages = new CopyOnWriteArrayList<>();
  private final AtomicInteger heartbeats = new AtomicInteger();
  private final Map<String, AtomicInteger> byOwner = new ConcurrentHashMap<>();
  private final ForwardingProcessorStore counting =
      new ForwardingProcessorStore(store) {
        @Override
        public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
          List<String> members = super.heartbeat(processor, owner, now, ttl);
          heartbeats.incrementAndGet();
          byOwner.computeIfAbsent(owner, o -> new AtomicInteger()).incrementAndGet();
          return members;
        }
      };

  @AfterEach
  void closeAll() {
    stages.forEach(stage -> stage.complete(null));
    started.forEach(TrackingEventProcessor::close);
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor processor = builder.idleWait(Duration.ofMillis(5)).build();
    started.add(processor);
    processor.start();
    return processor;
  }

  private static String streamIn(int segment, int segments, String prefix) {
    for (int i = 0; ; i++) {
      if (TrackingEventProcessor.segmentOf(prefix + i, segments) == segment) {
        return prefix + i;
      }
    }
  }

  private void awaitRounds(int rounds) {
    int before = heartbeats.get();
    Await.until(rounds + " coordination rounds", () -> heartbeats.get() >= before + rounds);
  }

  /**
   * Segment 0 stops on a poison event (stopOnFailure) and keeps its claim; segment 1 then gives up
   * at an event it cannot read, and once that event is repaired its retry reads past it. Segment 0
   * is still stopped here, so failure() must still say why.
   */
  @Test
  void failure_still_reports_a_stopped_segment_after_another_segments_unreadable_retry_passes() {
    String poisoned = streamIn(0, 2, "a-");
    String other = streamIn(1, 2, "b-");
    AtomicLong poison = new AtomicLong(Long.MAX_VALUE);
    EventStreamRepository reader = OlderBuild.reading(store, poison::get);
    MutableClock clock = new MutableClock(CREATED);
    List<String> handled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("stopper", reader, counting)
                .segments(2)
                .stopOnFailure()
                .maxAttempts(1)
                .clock(clock) // fixed: no claim runs out unless the test moves it
                .claimTtl(Duration.ofMillis(300))
                .unreadableRetry(Duration.ofMillis(1))
                .handler(
                    event -> {
                      if (event.sourceId().equals(poisoned)) {
                        throw new IllegalStateException("poison in " + poisoned);
                      }
                      handled.add(event.sourceId() + "@" + event.version());
                    }));
    Await.until("both segments held", () -> processor.ownedSegments().size() == 2);

    Ledgers.append(store, poisoned, 1, CREATED);
    Await.until("segment 0 stopped on the poison", () -> processor.failure() != null);
    Throwable poisonFailure = processor.failure();
    assertThat(poisonFailure).isInstanceOf(IllegalStateException.class);

    poison.set(store.logHead() + 1);
    Ledgers.append(store, other, 1, CREATED);
    long unreadable = store.logHead();
    Await.until(
        "segment 1 given up at the unreadable event",
        () ->
            processor.failure() != poisonFailure
                && store.segments("stopper").get(1).owner() == null);
    assertThat(processor.failure()).hasMessageContaining("cannot read the log");

    poison.set(Long.MAX_VALUE); // repaired
    clock.advance(Duration.ofMillis(5)); // the retry is due; no claim runs out (300 ms)
    Await.until(
        "segment 1 read past the repaired event",
        () -> store.segments("stopper").get(1).checkpoint() >= unreadable);
    awaitRounds(3);

    // Segment 0 is still stopped at the poison, here, holding its claim.
    assertThat(processor.ownedSegments()).contains(0);
    assertThat(store.segments("stopper").get(0).checkpoint()).isZero();
    assertThat(handled).containsExactly(other + "@1");
    assertThat(processor.failure())
        .as("failure() while segment 0 is still stopped on the poison")
        .isNotNull();
  }

  /**
   * A segment handed over to a joining process while an asynchronous stage is in flight: the
   * leaving worker waits for it, saves its checkpoint and releases; the joining process starts
   * nothing the leaving one handled, and nothing while the stage still runs.
   */
  @Test
  void a_hand_over_with_a_stage_in_flight_is_not_run_beside_it_and_not_repeated() {
    String stream = streamIn(1, 2, "h-");
    Map<String, List<String>> startsByOwner = new ConcurrentHashMap<>();
    List<String> all = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> first = new CompletableFuture<>();
    stages.add(first);
    TrackingEventProcessor a =
        start(
            EventProcessor.tracking("handover", store, counting)
                .owner("a")
                .segments(2)
                .claimTtl(Duration.ofSeconds(6))
                .asyncHandler(
                    event -> {
                      all.add("a:" + event.version());
                      return event.version() == 1 ? first : CompletableFuture.completedFuture(null);
                    }));
    Await.until("a holds both", () -> a.ownedSegments().size() == 2);
    Ledgers.append(store, stream, 1, CREATED);
    Await.until("the first started", () -> all.size() == 1);

    TrackingEventProcessor b =
        start(
            EventProcessor.tracking("handover", store, counting)
                .owner("b")
                .segments(2)
                .claimTtl(Duration.ofSeconds(6))
                .asyncHandler(
                    event -> {
                      all.add("b:" + event.version());
                      return CompletableFuture.completedFuture(null);
                    }));
    // a hands segment 1 over on its next round after b's heartbeat; its worker waits for the
    // held stage.
    Await.until("b heartbeats", () -> byOwner.containsKey(b.owner()));
    int aRounds = byOwner.get(a.owner()).get();
    Await.until("a's round after b joined", () -> byOwner.get(a.owner()).get() >= aRounds + 2);
    assertThat(a.ownedSegments()).as("the leaving segment still here").contains(1);
    assertThat(b.ownedSegments()).isEmpty();
    Ledgers.append(store, stream, 1, CREATED); // committed while the stage is held
    assertThat(all).doesNotContain("b:1");
    first.complete(null);
    Await.until("b owns segment 1", () -> b.ownedSegments().contains(1));
    Await.until("the second handled", () -> all.stream().anyMatch(s -> s.endsWith(":2")));
    Await.until(
        "caught up", () -> store.segments("handover").get(1).checkpoint() == store.logHead());
    assertThat(all.stream().filter(s -> s.endsWith(":1"))).containsExactly("a:1");
    assertThat(all.stream().filter(s -> s.endsWith(":2")).count()).isEqualTo(1);
    startsByOwner.clear();
  }

  /** pause() waiting for a stage that never completes; close() from another thread ends both. */
  @Test
  void close_ends_a_pause_waiting_for_a_stage_that_never_completes() throws Exception {
    Ledgers.append(store, "p", 2, CREATED);
    CompletableFuture<Void> never = new CompletableFuture<>();
    stages.add(never);
    List<Long> started = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("pausing", store, counting)
                .claimTtl(Duration.ofMillis(900))
                .asyncHandler(
                    event -> {
                      started.add(event.version());
                      return event.version() == 1 ? never : CompletableFuture.completedFuture(null);
                    }));
    // Waiting for the claim alone let pause() come before the held stage started, with nothing in
    // flight to wait for (a flaky failure in CI).
    Await.until("the held stage and the second started", () -> started.size() == 2);
    Thread pauser = new Thread(processor::pause, "pauser");
    pauser.start();
    Await.until(
        "pause() waits", () -> pauser.getState() == Thread.State.WAITING || !pauser.isAlive());
    assertThat(pauser.isAlive()).as("pause() must wait for the stage in flight").isTrue();
    assertTimeoutPreemptively(Duration.ofSeconds(10), processor::close);
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> pauser.join());
    assertThat(store.segments("pausing").get(0).checkpoint()).isZero();
    assertThat(store.segments("pausing").get(0).owner()).isNull();
  }

  /**
   * pause() returns with the checkpoint saved at what was handled: three stages in flight when the
   * pause comes; the first completes, the second fails (its retry ends for the pause), the third
   * completes. Before its fix, the rewind to the second ended the pause's checkpoint without
   * saving; pause() now returns with it at the first.
   */
  @Test
  void pause_returns_with_the_checkpoint_at_what_was_handled_after_a_failed_stage()
      throws Exception {
    Ledgers.append(store, "q", 3, CREATED);
    List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        start(
            EventProcessor.tracking("pause-rewind", store, counting)
                .maxAttempts(1)
                .asyncHandler(
                    event -> {
                      CompletableFuture<Void> stage = new CompletableFuture<>();
                      if (held.size() >= 3) {
                        stage.complete(null); // started again after the rewind
                      }
                      held.add(stage);
                      stages.add(stage);
                      return stage;
                    }));
    Await.until("three started", () -> held.size() == 3);
    Thread pauser = new Thread(processor::pause, "pauser");
    pauser.start();
    Await.until("pause() waits", () -> pauser.getState() == Thread.State.WAITING);
    held.get(0).complete(null);
    held.get(2).complete(null);
    held.get(1).completeExceptionally(new IllegalStateException("stage 2 fails for good"));
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> pauser.join());

    // The failed event's retry ends for the pause (tried afresh on resume, documented), but
    // event 1 completed before the pause returned: the checkpoint is due at it.
    assertThat(processor.deadLettered()).isZero();
    assertThat(store.segments("pause-rewind").get(0).checkpoint())
        .as("the checkpoint when pause() returned (event 1 completed before it)")
        .isEqualTo(positionOf("q", 1));
  }

  private long positionOf(String stream, long version) {
    return store.readLog(1, 1_000).stream()
        .filter(e -> e.event().sourceId().equals(stream) && e.event().version() == version)
        .mapToLong(LoggedEvent::position)
        .findFirst()
        .orElseThrow();
  }
}
