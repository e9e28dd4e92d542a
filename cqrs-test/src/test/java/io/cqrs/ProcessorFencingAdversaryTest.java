package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import io.cqrs.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A processor that lost its claim must not write over the new owner: the store fences its
 * checkpoints, and these tests look at its other writes (a dead letter, a reset racing a stalled
 * worker, a process whose clock is ahead, processes joining and leaving). The first failed before
 * the dead letter was fenced (2026-12-07); the others held.
 */
class ProcessorFencingAdversaryTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TTL = Duration.ofHours(1);

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final List<TrackingEventProcessor> started = new ArrayList<>();
  private final List<CountDownLatch> toRelease = new ArrayList<>();

  @AfterEach
  void closeAll() {
    toRelease.forEach(CountDownLatch::countDown);
    started.forEach(TrackingEventProcessor::close);
  }

  private TrackingEventProcessor start(TrackingEventProcessor.Builder builder) {
    TrackingEventProcessor processor = builder.idleWait(Duration.ofMillis(5)).build();
    started.add(processor);
    processor.start();
    return processor;
  }

  private CountDownLatch latch() {
    CountDownLatch latch = new CountDownLatch(1);
    toRelease.add(latch);
    return latch;
  }

  /**
   * Process A fails on an event; while its last attempt runs, A stalls past its claim (its
   * coordinator parked, its clock behind) and process B takes the segment over and handles the
   * event fine. A's last attempt then fails: A must not record a dead letter for an event the
   * segment's owner handled (the store refuses A's checkpoint; nothing fenced the letter).
   */
  @Test
  void a_processor_that_lost_its_claim_does_not_dead_letter_an_event_the_new_owner_handled()
      throws Exception {
    assertNoLetterFromALostClaim("stale", false);
  }

  /** The same on the asynchronous path: a failed stage rewound, then dead-lettered. */
  @Test
  void an_async_handler_of_a_processor_that_lost_its_claim_does_not_dead_letter_either()
      throws Exception {
    assertNoLetterFromALostClaim("stale-async", true);
  }

  private void assertNoLetterFromALostClaim(String name, boolean async) throws Exception {
    List<VersionedEvent> events = Ledgers.append(store, "ledger", 1, T0);
    long position = store.readLog(1, 10).get(0).position();

    MutableClock clockA = new MutableClock(T0); // stays behind
    MutableClock clockB = new MutableClock(T0.plus(TTL).plus(TTL)); // A's claim has run out here
    CountDownLatch lastAttempt = new CountDownLatch(1);
    CountDownLatch failNow = latch();
    CountDownLatch coordinatorGo = latch();
    CountDownLatch refused = new CountDownLatch(1);
    AtomicInteger attempts = new AtomicInteger();
    AtomicBoolean firstRound = new AtomicBoolean(true);
    ForwardingProcessorStore storeA =
        new ForwardingProcessorStore(store) {
          @Override
          public List<String> heartbeat(String processor, String owner, Instant now, Duration t) {
            if (!firstRound.compareAndSet(true, false)) {
              awaitQuietly(coordinatorGo); // a stalled coordinator: no renewal, no hand-over
            }
            return super.heartbeat(processor, owner, now, t);
          }

          @Override
          public void saveCheckpoint(SegmentClaim claim, long at, Instant now) {
            try {
              super.saveCheckpoint(claim, at, now);
            } catch (ClaimLostException e) {
              refused.countDown();
              throw e;
            }
          }
        };
    Runnable lastAttemptWaits =
        () -> {
          if (attempts.incrementAndGet() == 3) {
            lastAttempt.countDown();
            awaitQuietly(failNow);
          }
        };
    TrackingEventProcessor.Builder builder =
        EventProcessor.tracking(name, store, storeA).claimTtl(TTL).clock(clockA).maxAttempts(3);
    TrackingEventProcessor a =
        start(
            async
                ? builder.asyncHandler(
                    event -> {
                      lastAttemptWaits.run();
                      return CompletableFuture.failedFuture(
                          new IllegalStateException("A's database refuses it"));
                    })
                : builder.handler(
                    event -> {
                      lastAttemptWaits.run();
                      throw new IllegalStateException("A's database refuses it");
                    }));
    lastAttempt.await();

    List<VersionedEvent> handledByB = new CopyOnWriteArrayList<>();
    TrackingEventProcessor b =
        start(
            EventProcessor.tracking(name, store)
                .claimTtl(TTL)
                .clock(clockB)
                .handler(handledByB::add));
    Await.until(
        "B took the segment over and checkpointed past the event",
        () ->
            b.ownedSegments().equals(List.of(0))
                && store.segments(name).get(0).checkpoint() >= position);
    assertThat(handledByB).extracting(VersionedEvent::id).containsExactly(events.get(0).id());

    failNow.countDown(); // A's last attempt fails now
    refused.await(); // A's worker has gone past the event and found its claim lost
    coordinatorGo.countDown();

    List<LoggedEvent> letters =
        store.readLog(1, 100).stream()
            .filter(e -> e.event().event() instanceof EventProcessingFailed)
            .toList();
    assertThat(letters)
        .as("a dead letter recorded under a claim another process had taken over")
        .isEmpty();
    assertThat(b.deadLetters()).isEmpty();
    assertThat(a.deadLettered()).isZero();
  }

  /**
   * A closing process whose handler takes longer than what is left of its claim: a hand-over renews
   * a leaving segment's claim until its thread releases it, but close() stops the rounds that
   * renew, so the claim runs out under the handler; another process then takes the segment and
   * handles the same event beside it, and the closing segment's final checkpoint is refused. The
   * clock moves a third of a claim at a time, each time giving a renewal (had there been one) the
   * chance to land.
   */
  @Test
  void a_closing_segment_inside_a_slow_handler_keeps_its_claim_until_it_releases_it()
      throws Exception {
    Duration ttl = Duration.ofSeconds(3);
    MutableClock clock = new MutableClock(T0);
    Ledgers.append(store, "ledger", 1, T0);
    long position = store.readLog(1, 10).get(0).position();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = latch();
    AtomicBoolean aInside = new AtomicBoolean();
    List<String> overlaps = new CopyOnWriteArrayList<>();
    AtomicLong renewedAt = new AtomicLong();
    ForwardingProcessorStore storeA =
        new ForwardingProcessorStore(store) {
          @Override
          public Optional<SegmentClaim> claim(
              String processor, int segment, String owner, Instant now, Duration t) {
            Optional<SegmentClaim> claim = super.claim(processor, segment, owner, now, t);
            claim.ifPresent(c -> renewedAt.accumulateAndGet(now.toEpochMilli(), Math::max));
            return claim;
          }
        };
    TrackingEventProcessor a =
        start(
            EventProcessor.tracking("closing", store, storeA)
                .claimTtl(ttl)
                .clock(clock)
                .handler(
                    event -> {
                      if (event.version() == 0) {
                        return;
                      }
                      aInside.set(true);
                      entered.countDown();
                      release.await();
                      aInside.set(false);
                    }));
    entered.await();
    Thread closing = new Thread(a::close);
    closing.start();
    Await.until(
        "close waits for the segment",
        () ->
            Arrays.stream(closing.getStackTrace())
                .anyMatch(
                    f ->
                        f.getClassName().equals(Thread.class.getName())
                            && f.getMethodName().equals("join")));

    for (int step = 0; step < 4; step++) {
      clock.advance(ttl.dividedBy(3));
      long moved = clock.millis();
      try {
        Await.until(Duration.ofSeconds(3), "a renewal", () -> renewedAt.get() >= moved);
      } catch (AssertionError none) {
        // no renewal while closing: the claim runs out on the clock
      }
    }

    List<Long> bGot = new CopyOnWriteArrayList<>();
    CountDownLatch bTried = new CountDownLatch(1);
    AtomicReference<Boolean> bClaimed = new AtomicReference<>();
    ForwardingProcessorStore storeB =
        new ForwardingProcessorStore(store) {
          @Override
          public Optional<SegmentClaim> claim(
              String processor, int segment, String owner, Instant now, Duration t) {
            Optional<SegmentClaim> claim = super.claim(processor, segment, owner, now, t);
            bClaimed.compareAndSet(null, claim.isPresent());
            bTried.countDown();
            return claim;
          }
        };
    TrackingEventProcessor b =
        start(
            EventProcessor.tracking("closing", store, storeB)
                .claimTtl(ttl)
                .clock(clock)
                .handler(
                    event -> {
                      if (event.version() > 0) {
                        if (aInside.get()) {
                          overlaps.add("B handled version " + event.version() + " inside A's");
                        }
                        bGot.add(event.version());
                      }
                    }));
    try {
      // B's first claim of the segment is decided (a B whose share is none never tries)
      bTried.await(5, TimeUnit.SECONDS);
      if (Boolean.TRUE.equals(bClaimed.get())) {
        Await.until("B handled what it claimed", () -> !bGot.isEmpty());
      }
      assertThat(overlaps).as("two owners inside one segment's event at once").isEmpty();
    } finally {
      release.countDown();
    }
    closing.join();
    assertThat(store.segments("closing").get(0).checkpoint())
        .as("A's final checkpoint after the event in hand")
        .isGreaterThanOrEqualTo(position);
  }

  /**
   * An operator whose clock finds A's claim run out resets the processor while A's worker is inside
   * a handler: A's later checkpoint is refused, and the reset's position stands.
   */
  @Test
  void a_reset_racing_a_stalled_worker_wins_and_the_worker_writes_nothing() throws Exception {
    Ledgers.append(store, "ledger", 5, T0);
    MutableClock clockA = new MutableClock(T0);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = latch();
    CountDownLatch refused = new CountDownLatch(1);
    List<Long> saved = new CopyOnWriteArrayList<>();
    ForwardingProcessorStore storeA =
        new ForwardingProcessorStore(store) {
          @Override
          public void saveCheckpoint(SegmentClaim claim, long at, Instant now) {
            try {
              super.saveCheckpoint(claim, at, now);
              saved.add(at);
            } catch (ClaimLostException e) {
              refused.countDown();
              throw e;
            }
          }
        };
    start(
        EventProcessor.tracking("reset-race", store, storeA)
            .claimTtl(TTL)
            .clock(clockA)
            .checkpointInterval(Duration.ofDays(1))
            .handler(
                event -> {
                  if (event.version() == 3) {
                    entered.countDown();
                    release.await();
                  }
                }));
    entered.await();

    TrackingEventProcessor operator =
        EventProcessor.tracking("reset-race", store)
            .clock(new MutableClock(T0.plus(TTL).plus(TTL)))
            .handler(event -> {})
            .build();
    operator.resetTo(0);
    long token = store.segments("reset-race").get(0).token();

    release.countDown();
    refused.await();
    assertThat(saved).isEmpty();
    assertThat(store.segments("reset-race").get(0).checkpoint()).isZero();
    assertThat(store.segments("reset-race").get(0).token()).isGreaterThanOrEqualTo(token);
  }

  /**
   * Process A, whose clock is two claims ahead, takes B's segment while B is inside a projection's
   * write of version 3; both apply the stream's events, the read model's conditional write (a CAS
   * on the stored version, as docs/architecture.md asks of a shared read model) refuses B's late
   * one, and B's retry finds it applied: each version takes effect once, in order, and B's
   * checkpoint is refused.
   */
  @Test
  void a_process_whose_clock_is_ahead_steals_a_segment_and_the_gate_keeps_each_version_once()
      throws Exception {
    List<VersionedEvent> events = Ledgers.append(store, "ledger", 5, T0);
    CasProjection model = new CasProjection();
    CountDownLatch bInside = new CountDownLatch(1);
    CountDownLatch bGo = latch();
    model.parkAt = 3;
    model.parked = bInside;
    model.go = bGo;
    CountDownLatch bRefused = new CountDownLatch(1);
    ForwardingProcessorStore storeB =
        new ForwardingProcessorStore(store) {
          @Override
          public void saveCheckpoint(SegmentClaim claim, long at, Instant now) {
            try {
              super.saveCheckpoint(claim, at, now);
            } catch (ClaimLostException e) {
              bRefused.countDown();
              throw e;
            }
          }
        };
    start(
        EventProcessor.tracking("skew", store, storeB)
            .claimTtl(TTL)
            .clock(new MutableClock(T0))
            .projection(model));
    bInside.await();

    TrackingEventProcessor a =
        start(
            EventProcessor.tracking("skew", store)
                .claimTtl(TTL)
                .clock(new MutableClock(T0.plus(TTL).plus(TTL)))
                .projection(model));
    Await.until("A applied the stream", () -> model.appliedVersion("ledger") == 5);
    Await.until(
        "A checkpointed",
        () -> store.segments("skew").get(0).owner().equals(a.owner()) && a.lag().caughtUp());
    bGo.countDown();
    bRefused.await();

    assertThat(model.applied).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(model.refusedWrites.get()).isEqualTo(1);
    assertThat(model.total("ledger"))
        .isEqualTo(
            events.stream()
                .mapToLong(e -> e.eventAs(LedgerProjection.Deposited.class).amount())
                .sum());
    assertThat(a.deadLetters()).isEmpty();
  }

  /**
   * Three processes join and leave while events keep coming; claims never run out (the clock stands
   * still), so every move is a hand-over. No two handlers are ever inside one stream's events at
   * once, every event is handled, and a CAS projection applies each version once.
   */
  @Test
  void processes_joining_and_leaving_never_handle_one_stream_in_two_places() throws Exception {
    MutableClock clock = new MutableClock(T0);
    Duration ttl = Duration.ofMillis(300); // rounds every 100 ms; the clock never expires a claim
    java.util.Map<String, AtomicInteger> inside = new java.util.concurrent.ConcurrentHashMap<>();
    List<String> overlaps = new CopyOnWriteArrayList<>();
    java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    CasProjection model = new CasProjection();
    VersionedEventHandler handler =
        event -> {
          if (event.version() == 0) {
            return;
          }
          AtomicInteger in = inside.computeIfAbsent(event.sourceId(), k -> new AtomicInteger());
          if (in.incrementAndGet() > 1) {
            overlaps.add(event.sourceId() + " v" + event.version());
          }
          try {
            for (int y = 0; y < 50; y++) {
              Thread.yield(); // widens the window in which an overlap would be seen
            }
            seen.add(event.id());
          } finally {
            in.decrementAndGet();
          }
        };
    java.util.function.Supplier<TrackingEventProcessor> process =
        () ->
            start(
                EventProcessor.tracking("churn", store)
                    .segments(4)
                    .batchSize(7)
                    .claimTtl(ttl)
                    .clock(clock)
                    .handler(handler));
    java.util.function.Supplier<TrackingEventProcessor> gated =
        () ->
            start(
                EventProcessor.tracking("churn-model", store)
                    .segments(4)
                    .batchSize(7)
                    .claimTtl(ttl)
                    .clock(clock)
                    .projection(model));
    Thread writer =
        new Thread(
            () -> {
              int i = 0;
              while (i < 400) {
                Ledgers.append(store, "s-" + (i++ % 8), 1, T0);
              }
            });
    TrackingEventProcessor a = process.get();
    TrackingEventProcessor ga = gated.get();
    writer.start();
    TrackingEventProcessor b = process.get();
    TrackingEventProcessor gb = gated.get();
    Await.until(
        "B got segments", () -> !b.ownedSegments().isEmpty() && !gb.ownedSegments().isEmpty());
    TrackingEventProcessor c = process.get();
    TrackingEventProcessor gc = gated.get();
    Await.until(
        "C got segments", () -> !c.ownedSegments().isEmpty() && !gc.ownedSegments().isEmpty());
    a.close();
    ga.close();
    Await.until(
        "B and C share the four",
        () ->
            b.ownedSegments().size() + c.ownedSegments().size() == 4
                && gb.ownedSegments().size() + gc.ownedSegments().size() == 4);
    b.close();
    gb.close();
    writer.join();
    Await.until("C caught up", () -> c.lag().caughtUp() && gc.lag().caughtUp());

    assertThat(overlaps).as("one stream's events handled in two places at once").isEmpty();
    List<LoggedEvent> log = store.readLog(1, 100_000);
    assertThat(seen)
        .containsExactlyInAnyOrderElementsOf(
            log.stream().filter(e -> e.event().version() > 0).map(e -> e.event().id()).toList());
    for (int s = 0; s < 8; s++) {
      String stream = "s-" + s;
      assertThat(model.appliedVersion(stream)).isEqualTo(store.version(stream));
    }
    assertThat(model.applied)
        .hasSize(log.stream().filter(e -> e.event().version() > 0).toList().size());
  }

  /** A shared read model with a conditional write on the stored version, as a document CAS. */
  private static final class CasProjection implements Projection {
    private final java.util.Map<String, long[]> rows =
        new java.util.concurrent.ConcurrentHashMap<>();
    final List<Long> applied = new CopyOnWriteArrayList<>();
    final AtomicInteger refusedWrites = new AtomicInteger();
    volatile long parkAt = -1;
    volatile CountDownLatch parked;
    volatile CountDownLatch go;

    @Override
    public long appliedVersion(String streamId) {
      long[] row = rows.get(streamId);
      return row == null ? 0 : row[0];
    }

    long total(String streamId) {
      return rows.get(streamId)[1];
    }

    @Override
    public void apply(VersionedEvent event) throws Exception {
      long expected = appliedVersion(event.sourceId()); // the read a CAS write is decided on
      if (event.version() == parkAt) {
        parkAt = -1; // only the first writer of this version parks
        parked.countDown();
        go.await();
      }
      long amount = event.eventAs(LedgerProjection.Deposited.class).amount();
      boolean[] written = {false};
      rows.compute(
          event.sourceId(),
          (id, row) -> {
            long stored = row == null ? 0 : row[0];
            if (stored != expected) {
              return row; // the CAS fails: someone wrote since the read
            }
            written[0] = true;
            return new long[] {event.version(), (row == null ? 0 : row[1]) + amount};
          });
      if (!written[0]) {
        refusedWrites.incrementAndGet();
        throw new IllegalStateException("version " + event.version() + ": the document changed");
      }
      applied.add(event.version());
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
