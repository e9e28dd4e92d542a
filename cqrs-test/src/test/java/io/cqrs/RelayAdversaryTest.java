package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.ForwardingRelayProcessorStore;
import io.cqrs.testing.MutableClock;
import io.cqrs.testing.ParkingBus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Adversarial tests of EventRelay on the in-memory store: a lease moving mid-pass, a relay parked
 * after its renewal, a lease running out during a pass, the grace period's clock, and (failing
 * before its fix) close() waiting for ever for the relay's own pass stuck in the bus.
 */
class RelayAdversaryTest {
  private final InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    bus.close();
  }

  /** The in-memory store behind hooks: a store, a relay store and a processor store. */
  static final class Rigged extends ForwardingRelayProcessorStore {
    final InMemoryEventStreamRepository target;
    volatile Consumer<String> onMark = s -> {};
    volatile Consumer<Optional<SegmentClaim>> afterClaim = c -> {};

    Rigged(InMemoryEventStreamRepository target) {
      super(target);
      this.target = target;
    }

    @Override
    public void markPublished(String streamId, long fromVersion, long toVersion) {
      onMark.accept(streamId);
      super.markPublished(streamId, fromVersion, toVersion);
    }

    @Override
    public Optional<SegmentClaim> claim(
        String processor, int segment, String owner, Instant now, Duration ttl) {
      Optional<SegmentClaim> got = target.claim(processor, segment, owner, now, ttl);
      afterClaim.accept(got);
      return got;
    }
  }

  /** A bus that records what it publishes and may run a hook per publish. */
  static final class Recording implements EventBus {
    final List<String> published = new CopyOnWriteArrayList<>();
    volatile Consumer<List<VersionedEvent>> before = e -> {};

    @Override
    public void publish(List<VersionedEvent> events) {
      before.accept(events);
      for (VersionedEvent e : events) {
        published.add(e.sourceId() + "@" + e.version());
      }
    }

    @Override
    public Subscription subscribe(String s, int l, VersionedEventHandler h) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  private SegmentState lease() {
    return memory.segments(EventRelay.processorName("cqrs-relay")).get(0);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The relay's own pass stuck in a publish the bus never returns from: close() returns after about
   * twice the lease's time, leaving the lease to run out (it waited for ever before).
   */
  @Test
  void close_returns_while_the_relays_own_pass_is_stuck_in_the_bus() throws Exception {
    Ledgers.append(memory, "s", 1, Instant.now().minusSeconds(60));
    ParkingBus parking = new ParkingBus(bus);
    EventRelay relay =
        EventRelay.builder(memory, parking)
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofSeconds(1))
            .pollInterval(Duration.ofMillis(50))
            .build()
            .start();
    try {
      parking.awaitParked(Duration.ofSeconds(10));
      Future<?> close = threads.submit(relay::close);
      try {
        close.get(5, TimeUnit.SECONDS); // five lease times
      } catch (TimeoutException e) {
        throw new AssertionError(
            "close() did not return within 5 lease times while the relay thread's publish hangs;"
                + " lease owner "
                + lease().owner());
      }
    } finally {
      parking.release();
    }
  }

  /**
   * A relay records a dead letter, its mark fails, and its lease passes to another relay with the
   * same bus: the event is dead-lettered twice.
   */
  @Test
  void a_letter_is_recorded_once_even_when_the_lease_moves_between_recording_and_marking() {
    Instant t0 = Instant.now();
    Ledgers.append(memory, "poison", 1, t0.minusSeconds(60));
    Rigged store = new Rigged(memory);
    AtomicBoolean failMark = new AtomicBoolean(true);
    store.onMark =
        s -> {
          if (failMark.getAndSet(false)) {
            throw new TransientCqrsException("store away");
          }
        };
    Recording refusing = new Recording();
    refusing.before =
        events -> {
          if (events.stream().anyMatch(e -> e.sourceId().equals("poison"))) {
            throw new UnpublishableMessageException("too large");
          }
        };
    EventRelay a =
        EventRelay.builder(store, refusing)
            .owner("a")
            .grace(Duration.ZERO)
            .clock(Clock.fixed(t0, ZoneOffset.UTC))
            .build();
    EventRelay b =
        EventRelay.builder(store, refusing)
            .owner("b")
            .grace(Duration.ZERO)
            .clock(Clock.fixed(t0.plusSeconds(11), ZoneOffset.UTC))
            .build();
    try {
      a.publishPending();
    } catch (TransientCqrsException expected) {
      // the mark failed after the letter was recorded
    }
    b.publishPending();
    long letters =
        memory.readLog(1, 100).stream()
            .map(LoggedEvent::event)
            .filter(e -> e.event() instanceof EventProcessingFailed)
            .count();
    assertThat(b.deadLetters())
        .as("open dead letters of one refused event (records in the log: %s)", letters)
        .hasSize(1);
  }

  /**
   * The relay is parked right after its lease renewal returned; its lease runs out and a successor
   * takes over, publishes and checkpoints; the parked relay then walks a stale checkpoint.
   */
  @Test
  void a_relay_parked_after_renewing_its_lease_cannot_move_the_successors_checkpoint()
      throws Exception {
    Instant t0 = Instant.now();
    Ledgers.append(memory, "s", 5, t0.minusSeconds(60));
    Rigged store = new Rigged(memory);
    CountDownLatch parked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recording recA = new Recording();
    Recording recB = new Recording();
    MutableClock clockA = new MutableClock(t0);
    EventRelay a =
        EventRelay.builder(store, recA)
            .owner("a")
            .grace(Duration.ZERO)
            .batchSize(2)
            .leaseTtl(Duration.ofSeconds(10))
            .clock(clockA)
            .build();
    EventRelay b =
        EventRelay.builder(store, recB)
            .owner("b")
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofSeconds(10))
            .clock(Clock.fixed(t0.plusSeconds(20), ZoneOffset.UTC))
            .build();
    AtomicBoolean parkNext = new AtomicBoolean(true);
    store.afterClaim =
        got -> {
          if (got.isPresent() && got.get().owner().equals(a.owner()) && parkNext.getAndSet(false)) {
            parked.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    Future<Integer> passA = threads.submit(a::publishPending);
    assertThat(parked.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(b.publishPending()).isEqualTo(5);
    long successorCheckpoint = lease().checkpoint();
    clockA.advance(Duration.ofSeconds(5)); // a's own clock still inside its lease
    release.countDown();
    passA.get(10, TimeUnit.SECONDS);
    assertThat(lease().checkpoint()).isEqualTo(successorCheckpoint);
    assertThat(lease().owner()).isEqualTo(b.owner());
    assertThat(a.isLeader()).isFalse();
    Ledgers.append(memory, "s", 2, t0.minusSeconds(30));
    assertThat(b.publishPending()).isEqualTo(2);
    assertThat(recB.published).hasSize(7);
  }

  /** The lease runs out during a pass (the bus is slow) with no one else: nothing is lost. */
  @Test
  void a_lease_that_runs_out_during_a_pass_loses_nothing() {
    Instant t0 = Instant.now();
    Ledgers.append(memory, "s", 6, t0.minusSeconds(60));
    MutableClock clock = new MutableClock(t0);
    Recording slow = new Recording();
    slow.before = events -> clock.advance(Duration.ofSeconds(11));
    EventRelay relay =
        EventRelay.builder(memory, slow)
            .grace(Duration.ZERO)
            .batchSize(2)
            .leaseTtl(Duration.ofSeconds(10))
            .clock(clock)
            .build();
    for (int i = 0; i < 10; i++) {
      relay.publishPending();
    }
    assertThat(slow.published).containsExactlyInAnyOrder("s@1", "s@2", "s@3", "s@4", "s@5", "s@6");
    assertThat(relay.lag().behind()).isZero();
  }

  /** The grace period against the relay's clock, at its edges. */
  @Test
  void the_grace_period_is_measured_on_the_relays_clock() {
    Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
    Ledgers.append(memory, "s", 1, t0);
    MutableClock clock = new MutableClock(t0.plusSeconds(2));
    Recording rec = new Recording();
    EventRelay relay =
        EventRelay.builder(memory, rec).grace(Duration.ofSeconds(2)).clock(clock).build();
    relay.publishPending();
    assertThat(rec.published).as("exactly grace old").hasSize(1);
  }

  /** A dead-lettering pass leaves its own letter behind the checkpoint: lag after one call. */
}
