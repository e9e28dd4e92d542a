package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventBus;
import io.cqrs.EventConsumer;
import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projector;
import io.cqrs.Subscription;
import io.cqrs.TransientCqrsException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Core's {@link EventRelay} and {@link Projector} over the Couchbase store: lossless publication.
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

  /** A bus that fails like a process killed between commit and publish. */
  private static final class DeadBus implements EventBus {
    @Override
    public void publish(List<VersionedEvent> events) {
      throw new TransientCqrsException("process killed before publishing");
    }

    @Override
    public Subscription subscribe(String subscription, int listeners, EventConsumer consumer) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  @Test
  void events_committed_with_a_dead_publisher_are_published_by_the_relay_and_applied_once()
      throws Exception {
    Subscription subscription = new Projector(ledger, store).subscribe(bus, "ledger", 1);
    Ledger account = new Ledger("ledger-1");
    account.deposit(5);
    account.deposit(7);
    EventSourcingRepository.builder(store, types)
        .publisher(new DeadBus())
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
    assertThat(store.readCheckpoint("cqrs-relay")).isEqualTo(log.get(2).position());
  }

  @Test
  void of_two_relays_only_one_publishes_at_a_time_and_a_stalled_holder_is_replaced()
      throws Exception {
    Subscription subscription = new Projector(ledger, store).subscribe(bus, "ledger", 2);
    Watch watch = new Watch();
    // Two processes: each relay has its own repository on the same documents.
    EventRelay first = relay("first", builder().build(), watch).start();
    EventRelay second = relay("second", builder().build(), watch).start();
    try {
      append("ledger-1", 10, 5);
      Await.until(WAIT, "50 deposits applied", () -> ledger.applications() == 50);
      assertThat(watch.publishers).hasSize(1);
      String holder = watch.publishers.iterator().next();

      watch.stalled.put(holder, new CountDownLatch(1));
      append("ledger-2", 10, 5);
      Await.until(WAIT, "100 deposits applied", () -> ledger.applications() == 100);

      assertThat(watch.stalledCalls.get()).as("the holder stalled while publishing").isPositive();
      assertThat(watch.publishers).containsExactlyInAnyOrder("first", "second");
      assertThat(watch.mostAtOnce.get()).isEqualTo(1);
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
      watch.stalled.values().forEach(CountDownLatch::countDown);
      first.close();
      second.close();
      subscription.close();
    }
  }

  /** Counts concurrent publishers across relays, and stalls the ones told to. */
  private static final class Watch {
    final AtomicInteger publishing = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    final Set<String> publishers = ConcurrentHashMap.newKeySet();
    final Map<String, CountDownLatch> stalled = new ConcurrentHashMap<>();
    final AtomicInteger stalledCalls = new AtomicInteger();
  }

  private EventRelay relay(String owner, CouchbaseEventStreamRepository repository, Watch watch) {
    EventBus watched =
        new EventBus() {
          @Override
          public void publish(List<VersionedEvent> events) {
            CountDownLatch stall = watch.stalled.get(owner);
            if (stall != null) {
              // A stalled process: it stops renewing its lease and never publishes again.
              watch.stalledCalls.incrementAndGet();
              awaitQuietly(stall);
              throw new TransientCqrsException("relay '" + owner + "' was stopped");
            }
            watch.mostAtOnce.accumulateAndGet(watch.publishing.incrementAndGet(), Math::max);
            try {
              watch.publishers.add(owner);
              bus.publish(events);
            } finally {
              watch.publishing.decrementAndGet();
            }
          }

          @Override
          public Subscription subscribe(String name, int listeners, EventConsumer consumer) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void close() {}
        };
    return EventRelay.builder(repository, watched)
        .owner(owner)
        .grace(Duration.ZERO)
        .leaseTtl(Duration.ofSeconds(2))
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

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
