package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingRelayProcessorStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * From an adversarial run against the relay on Couchbase: a leader that owes publication marks in
 * memory, parked inside its lease renewal while another process's relay takes the lease over, loses
 * nothing (the successor publishes the owed commits again, at least once) and cannot move the
 * successor's checkpoint.
 */
class CouchbaseRelayAdversaryIT extends RepositoryIT {
  private static final Duration TTL = Duration.ofSeconds(30);
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Deliveries deliveries = new Deliveries();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws Exception {
    threads.shutdownNow();
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  /** A Couchbase store behind a hook after each claim. */
  static final class Rigged extends ForwardingRelayProcessorStore {
    final CouchbaseEventStreamRepository target;
    final AtomicBoolean parkNextClaim = new AtomicBoolean();
    final CountDownLatch parked = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    Rigged(CouchbaseEventStreamRepository target) {
      super(target);
      this.target = target;
    }

    @Override
    public Optional<SegmentClaim> claim(
        String processor, int segment, String owner, Instant now, Duration ttl) {
      Optional<SegmentClaim> got = target.claim(processor, segment, owner, now, ttl);
      if (got.isPresent() && parkNextClaim.getAndSet(false)) {
        parked.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return got;
    }
  }

  /**
   * The leading relay owes marks in memory, and is parked right after renewing its lease; its lease
   * runs out, another process's relay takes over and checkpoints; the parked relay resumes on its
   * stale checkpoint. Nothing may be lost, its checkpoint must be refused, and what the first
   * process commits afterwards must still reach the bus.
   */
  @Test
  void a_leader_owing_marks_parked_inside_its_lease_renewal_loses_nothing() throws Exception {
    CouchbaseEventStreamRepository a = store();
    Rigged rigged = new Rigged(a);
    EventRelay relayA = relay(rigged, "a", Clock.systemUTC());
    assertThat(relayA.publishPending()).isZero();
    assertThat(relayA.isLeader()).isTrue();
    List<String> owed = deposit(a, 3, "owed-");
    assertThat(raw(keys.claim(owed.get(0), 1))).get().asString().doesNotContain("\"p\"");

    rigged.parkNextClaim.set(true);
    Future<Integer> passA = threads.submit(relayA::publishPending);
    assertThat(rigged.parked.await(30, TimeUnit.SECONDS)).isTrue();

    CouchbaseEventStreamRepository b = store();
    EventRelay relayB = relay(b, "b", later());
    int byB = relayB.publishPending();
    assertThat(relayB.isLeader()).isTrue();
    long checkpointB = lease(b).checkpoint();
    rigged.release.countDown();
    passA.get(30, TimeUnit.SECONDS);

    assertThat(relayA.isLeader()).as("the parked relay no longer leads").isFalse();
    assertThat(lease(b).checkpoint()).isEqualTo(checkpointB);
    assertThat(lease(b).owner()).isEqualTo(relayB.owner());

    List<String> after = deposit(a, 2, "after-");
    relayB.publishPending();
    Await.until(
        "every event delivered at least once",
        () -> {
          relayB.publishPending();
          return deliveries.each().keySet().containsAll(keysOf(owed))
              && deliveries.each().keySet().containsAll(keysOf(after));
        });
    CouchbaseEventStreamRepository reader = store();
    Await.until(
        "the log published for another process's reader",
        () -> reader.readLog(1, 100).stream().allMatch(LoggedEvent::published));
    assertThat(byB).as("the successor republished what the leader owed").isEqualTo(3);
  }

  /** Two processes whose relays share an owner name both lead at once on Couchbase. */
  private SegmentState lease(CouchbaseEventStreamRepository store) {
    return store.segments(EventRelay.processorName("cqrs-relay")).get(0);
  }

  private static List<String> keysOf(List<String> streams) {
    return streams.stream().map(s -> s + "@1").toList();
  }

  private List<String> deposit(CouchbaseEventStreamRepository store, int count, String tag) {
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, TestEvents.registry()).publisher(deliveries).build();
    List<String> streams = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Account account = new Account(prefix + "-acc-" + tag + i);
      account.deposit(10);
      repository.save(account, "deposit-" + tag + i);
      streams.add(account.id());
    }
    return streams;
  }

  private CouchbaseEventStreamRepository store() {
    CouchbaseEventStreamRepository store = builder().build();
    closing.add(store);
    return store;
  }

  private <S extends io.cqrs.spi.EventStreamRepository> EventRelay relay(
      S store, String owner, Clock clock) {
    EventRelay relay =
        EventRelay.builder(store, deliveries)
            .owner(owner)
            .clock(clock)
            .grace(Duration.ZERO)
            .leaseTtl(TTL)
            .build();
    closing.add(relay);
    return relay;
  }

  private static Clock later() {
    return Clock.fixed(Instant.now().plus(TTL.multipliedBy(4)), ZoneOffset.UTC);
  }

  private static final class Deliveries implements EventBus {
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    @Override
    public void publish(List<VersionedEvent> events) {
      for (VersionedEvent event : events) {
        counts
            .computeIfAbsent(event.sourceId() + "@" + event.version(), k -> new AtomicInteger())
            .incrementAndGet();
      }
    }

    Map<String, Integer> each() {
      Map<String, Integer> each = new TreeMap<>();
      counts.forEach((event, times) -> each.put(event, times.get()));
      return each;
    }

    @Override
    public Subscription subscribe(String s, int l, VersionedEventHandler h) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
