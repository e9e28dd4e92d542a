package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventProcessor;
import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SubscribingEventProcessor;
import io.cqrs.TypeRegistry;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentState;
import io.cqrs.testing.Await;
import io.cqrs.testing.DeadEventBus;
import io.cqrs.testing.ParkingBus;
import io.cqrs.testing.PublisherWatch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Core's {@link EventRelay} and a version-gated {@link SubscribingEventProcessor} over the
 * Couchbase store: lossless publication.
 */
class CouchbaseEventRelayIT extends RepositoryIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final TypeRegistry types =
      new TypeRegistry().registerAggregate(Ledger.class, TestEvents.Deposited.class);
  private final CouchbaseEventStreamRepository store =
      CouchbaseEventStreamRepository.builder(collection, new EventSerializer(types))
          .keyPrefix(prefix)
          .gapGracePeriod(SHORT_GRACE)
          .build();
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final LedgerProjection ledger = new LedgerProjection();

  @AfterEach
  void closeBus() {
    bus.close();
  }

  static final class Ledger extends EventSourceBased {
    Ledger(String id) {
      super(id);
    }

    void deposit(long amount) {
      update(new TestEvents.Deposited(amount));
    }

    private void handleDeposited(TestEvents.Deposited e) {}
  }

  @Test
  void events_committed_with_a_dead_publisher_are_published_by_the_relay_and_applied_once()
      throws Exception {
    SubscribingEventProcessor subscription =
        EventProcessor.subscribing("ledger", bus, store).projection(ledger).listeners(1).build();
    subscription.start();
    Ledger account = new Ledger("ledger-1");
    account.deposit(5);
    account.deposit(7);
    EventSourcingRepository.builder(store, types)
        .publisher(new DeadEventBus())
        .build()
        .save(account, "c");
    assertThat(store.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(false, false);

    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ZERO).build();
    assertThat(relay.publishPending()).isEqualTo(2);

    Await.until(WAIT, "the ledger to apply both deposits", () -> ledger.applications() == 2);
    assertThat(ledger.entries())
        .containsExactly(Map.entry("ledger-1", new LedgerProjection.Entry(2, 12)));
    assertThat(store.readLog(1, 10)).extracting(LoggedEvent::published).containsExactly(true, true);
    assertThat(relay.publishPending()).isZero();
    assertThat(ledger.violations()).isEmpty();
    subscription.close();
  }

  @Test
  void commits_the_fast_path_published_are_marked_and_only_passed_over_by_the_relay() {
    Ledger account = new Ledger("ledger-1");
    account.deposit(5);
    EventSourcingRepository.builder(store, types).publisher(bus).build().save(account, "c");
    account.deposit(6);
    account.deposit(7);
    EventSourcingRepository.builder(store, types).publisher(bus).build().save(account, "c");

    List<LoggedEvent> log = store.readLog(1, 10);
    assertThat(log).extracting(LoggedEvent::published).containsExactly(true, true, true);
    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ZERO).build();
    assertThat(relay.publishPending()).isZero();
    assertThat(lease(store).checkpoint()).isEqualTo(log.get(2).position());
  }

  @Test
  void of_two_relays_only_one_publishes_at_a_time_and_a_stalled_holder_is_replaced()
      throws Exception {
    SubscribingEventProcessor subscription =
        EventProcessor.subscribing("ledger", bus, store).projection(ledger).listeners(2).build();
    subscription.start();
    PublisherWatch watch = new PublisherWatch();
    // Two processes: each relay has its own repository on the same documents.
    EventRelay first = relay("first", builder().build(), watch).start();
    EventRelay second = relay("second", builder().build(), watch).start();
    try {
      append("ledger-1", 10, 5);
      Await.until(WAIT, "50 deposits applied", () -> ledger.applications() == 50);
      assertThat(watch.publishers()).hasSize(1);
      String holder = watch.publishers().iterator().next();

      watch.stall(holder);
      append("ledger-2", 10, 5);
      Await.until(WAIT, "100 deposits applied", () -> ledger.applications() == 100);

      assertThat(watch.stalledCalls()).as("the holder stalled while publishing").isPositive();
      assertThat(watch.publishers()).containsExactlyInAnyOrder("first", "second");
      assertThat(watch.mostAtOnce()).isEqualTo(1);
      assertThat(ledger.violations()).isEmpty();
      assertThat(ledger.entries())
          .containsOnly(
              Map.entry("ledger-1", new LedgerProjection.Entry(50, 50 * 51 / 2)),
              Map.entry("ledger-2", new LedgerProjection.Entry(50, 50 * 51 / 2)));
      Await.until(
          WAIT,
          "every event marked published",
          () -> store.readLog(1, 200).stream().allMatch(LoggedEvent::published));
      assertThat(store.readLog(1, 200)).hasSize(100);
    } finally {
      watch.releaseStalled();
      first.close();
      second.close();
      subscription.close();
    }
  }

  private static SegmentState lease(CouchbaseEventStreamRepository repository) {
    return repository.segments(EventRelay.processorName("cqrs-relay")).get(0);
  }

  @Test
  void a_relay_that_stalled_past_its_lease_cannot_save_its_checkpoint_after_another_took_over()
      throws Exception {
    append("ledger-1", 1, 3); // committed, never published
    Instant t0 = store.readLog(1, 1).get(0).event().created();
    ParkingBus parking = new ParkingBus(bus);
    // Two processes: each relay has its own repository on the same documents.
    EventRelay stalled =
        EventRelay.builder(builder().build(), parking)
            .owner("stalled")
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofSeconds(10))
            .clock(Clock.fixed(t0.plusSeconds(1), ZoneOffset.UTC)) // never sees the lease run out
            .build();
    // The successor leaves young events to the fast path, so it takes the lease but, this pass,
    // does not move the checkpoint: any move would be the stalled relay's.
    EventRelay successor =
        EventRelay.builder(builder().build(), bus)
            .owner("successor")
            .grace(Duration.ofHours(1))
            .leaseTtl(Duration.ofSeconds(10))
            .clock(Clock.fixed(t0.plusSeconds(12), ZoneOffset.UTC))
            .build();
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> stalledPass = thread.submit(stalled::publishPending);
      parking.awaitParked(WAIT); // published, checkpoint not saved yet

      assertThat(successor.publishPending()).isZero();
      assertThat(successor.isLeader()).isTrue();
      parking.release();

      assertThat(stalledPass.get(30, TimeUnit.SECONDS))
          .as("it did publish, once more")
          .isEqualTo(3);
      assertThat(stalled.isLeader()).isFalse();
      assertThat(lease(store).checkpoint()).as("the stalled relay's write was refused").isZero();
      assertThat(lease(store).owner()).isEqualTo(successor.owner());
      assertThat(stalled.publishPending()).isZero();
    } finally {
      parking.release();
      thread.shutdownNow();
    }
  }

  private EventRelay relay(
      String owner, CouchbaseEventStreamRepository repository, PublisherWatch watch) {
    // A stalled holder stops renewing its lease and never publishes again, as a hung process.
    return EventRelay.builder(repository, watch.watch(owner, bus))
        .owner(owner)
        .grace(Duration.ZERO)
        // A pass must end within the lease, now exactly ttl on the relay's clock (the old
        // server-side expiry gave 1-2 s more): passes here took over 2 s on a loaded machine.
        .leaseTtl(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .batchSize(7) // smaller than two commits of 5: passes end inside commits
        .build();
  }

  /** {@code commits} commits of {@code perCommit} events, written without publishing them. */
  private void append(String stream, int commits, int perCommit) {
    for (int i = 0; i < commits; i++) {
      store.save(
          stream, (long) i * perCommit, TestEvents.batch(stream, (long) i * perCommit, perCommit));
    }
  }
}
