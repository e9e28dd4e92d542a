package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.kv.GetResult;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingRelayProcessorStore;
import io.cqrs.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Owed publication marks, the relays' record of passed runs and fencing against relays that stall
 * mid-pass, lose their lease, are reset or close (docs/couchbase-relay.md, "Marks a leading relay's
 * process keeps"): every commit a relay's checkpoint passes is marked or recorded, and nothing a
 * fenced relay does makes an event look published that no relay published. Each test failed before
 * the fixes of 2026-12-07 (an adversarial review found them).
 */
class CouchbaseOwedMarksAdversaryIT extends RepositoryIT {
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final String PROCESSOR = EventRelay.processorName("cqrs-relay");

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Deliveries deliveries = new Deliveries();
  private final ExecutorService executor = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws Exception {
    executor.shutdownNow();
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  /**
   * A relay stalls between reading its batch and saving its checkpoint. Meanwhile an operator
   * resets the relay back before an event an earlier reset skipped (to get it published), and a
   * second relay of the same name in this process takes the lease. The stalled relay's checkpoint
   * write is fenced, but before it, the store records the run (since, position] with the new
   * lease's "since" (0): the record now covers the skipped event, which no relay ever published.
   */
  @Test
  void a_fenced_relay_does_not_record_as_passed_an_event_a_reset_skipped() throws Exception {
    CouchbaseEventStreamRepository a = store();
    EventRelay setup = relay(a, "setup", Clock.systemUTC(), Duration.ZERO);
    assertThat(setup.publishPending()).isZero();
    setup.close();
    String skipped = unpublished(a, "skipped"); // committed now, its publication failed
    long skippedAt = a.readLog(1, 100).get(0).position();
    a.reset(PROCESSOR, skippedAt, Instant.now()); // an operator skips it

    MutableClock clock1 = new MutableClock(Instant.now());
    ParkingCheckpoints parking = new ParkingCheckpoints(a);
    EventRelay r1 =
        EventRelay.builder(parking, deliveries)
            .owner("r1")
            .clock(clock1)
            .grace(Duration.ZERO)
            .leaseTtl(TTL)
            .build();
    closing.add(r1);
    assertThat(r1.publishPending()).isZero();
    assertThat(r1.isLeader()).isTrue();
    List<String> streams = deposit(a, 1); // published by the fast path, its mark owed

    parking.armed.set(true);
    Future<Integer> pass = executor.submit(r1::publishPending);
    assertThat(parking.parked.await(30, TimeUnit.SECONDS)).isTrue();

    // r1 stalls past its lease. The operator resets the relay back to the start, to publish the
    // skipped event; a second relay of this process (same name) takes the lease. Its grace keeps
    // it from passing anything yet.
    Instant later = Instant.now().plus(TTL.multipliedBy(4));
    a.reset(PROCESSOR, 0, later);
    EventRelay r2 = relay(a, "r2", Clock.fixed(later, ZoneOffset.UTC), Duration.ofDays(1));
    assertThat(r2.publishPending()).isZero();
    assertThat(r2.isLeader()).isTrue();

    parking.resume.countDown();
    assertThat(pass.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(r1.isLeader()).as("r1's checkpoint write was fenced").isFalse();
    a.awaitBackgroundWrites();

    // Guarantee 3: the fenced relay makes no commit look passed that was not published.
    CouchbaseEventStreamRepository b = store();
    List<LoggedEvent> seen = b.readLog(1, 100);
    // Guarantee 1: once every lease has run out, a relay of another process publishes it.
    Instant muchLater = later.plus(TTL.multipliedBy(4));
    relay(b, "b", Clock.fixed(muchLater, ZoneOffset.UTC), Duration.ZERO).publishPending();
    assertThat(deliveries.each())
        .as("the event the operator reset back for reaches the bus")
        .containsKey(skipped + "@1")
        .containsKey(streams.get(0) + "@1");
    assertThat(seen)
        .filteredOn(e -> e.event().sourceId().equals(skipped))
        .singleElement()
        .satisfies(e -> assertThat(e.published()).as("reported published").isFalse());
  }

  /**
   * A relay reads its batch while it leads: a commit whose mark this process owes is reported
   * published, so the pass does not publish it. Before its checkpoint is saved, the lease runs out
   * on this process's clock (a pause past two thirds of the lease, short of the lease itself, so
   * the save is not fenced): the timer hands the owed mark back, to be written, and drops the
   * lease's entry. The checkpoint is then saved past the commit without the run in the record
   * (wouldPass finds no lease). If the handed-back mark does not land (here its claim is locked
   * until the write times out; a process killed before it lands is the same), nothing says the
   * commit was published: no mark, no record, and every relay starts past it.
   */
  @Test
  void a_pass_whose_owed_marks_were_handed_back_mid_pass_leaves_nothing_unrecorded()
      throws Exception {
    CouchbaseEventStreamRepository a = store();
    MutableClock storeClock = new MutableClock(Instant.now()); // the store never sees it expire
    ParkingCheckpoints parking = new ParkingCheckpoints(a);
    EventRelay r1 =
        EventRelay.builder(parking, deliveries)
            .owner("r1")
            .clock(storeClock)
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofMillis(1500)) // leads here for 1 s after each renewal
            .build();
    closing.add(r1);
    assertThat(r1.publishPending()).isZero();
    assertThat(r1.isLeader()).isTrue();
    List<String> streams = deposit(a, 1);
    OwedMarks owed = owedOf(a);
    assertThat(owed.size()).as("the deposit's mark is owed").isOne();
    // The owed mark, once handed back, cannot land until its write has failed.
    GetResult locked = collection.getAndLock(keys.claim(streams.get(0), 1), Duration.ofSeconds(30));

    parking.armed.set(true);
    Future<Integer> pass = executor.submit(r1::publishPending);
    assertThat(parking.parked.await(30, TimeUnit.SECONDS)).isTrue();
    // Paused past two thirds of the lease: the timer hands the owed mark back.
    Await.until("the owed mark handed back", () -> owed.size() == 0);
    parking.resume.countDown();
    passTolerating(pass); // the checkpoint may be refused (TransientCqrsException) and retried
    Await.until("the handed-back mark's write given up", () -> a.backgroundWrites() == 0);
    collection.unlock(keys.claim(streams.get(0), 1), locked.cas());
    r1.publishPending(); // the server is back: the relay gets past the commit
    long checkpoint = a.segments(PROCESSOR).get(0).checkpoint();
    assertThat(checkpoint)
        .as("the relay passed the commit")
        .isGreaterThanOrEqualTo(a.readLog(1, 100).get(0).position());
    r1.close();
    a.awaitBackgroundWrites();

    CouchbaseEventStreamRepository b = store();
    List<LoggedEvent> seen = b.readLog(1, 100);
    assertThat(seen)
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.published())
                    .as("a commit the checkpoint passed is marked or recorded")
                    .isTrue());
  }

  /**
   * The repository closes while its relay is mid-pass, between reading a batch (an owed commit in
   * it, reported published) and saving its checkpoint: close hands the owed mark back and waits for
   * it; the relay then saves its checkpoint past the commit, with no run recorded. With {@code
   * lockClaim} the mark's write cannot land before close gives up on it (a slow or failing server).
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void a_close_racing_a_pass_leaves_the_commit_marked_or_recorded(boolean lockClaim)
      throws Exception {
    CouchbaseEventStreamRepository a = builder().build(); // closed by the test
    ParkingCheckpoints parking = new ParkingCheckpoints(a);
    EventRelay r1 =
        EventRelay.builder(parking, deliveries)
            .owner("r1")
            .grace(Duration.ZERO)
            .leaseTtl(TTL)
            .build();
    closing.add(r1);
    assertThat(r1.publishPending()).isZero();
    List<String> streams = deposit(a, 1);
    assertThat(owedOf(a).size()).isOne();
    GetResult locked =
        lockClaim
            ? collection.getAndLock(keys.claim(streams.get(0), 1), Duration.ofSeconds(30))
            : null;

    parking.armed.set(true);
    Future<Integer> pass = executor.submit(r1::publishPending);
    assertThat(parking.parked.await(30, TimeUnit.SECONDS)).isTrue();
    a.close(); // hands the owed mark back and waits for it
    parking.resume.countDown();
    passTolerating(pass); // the checkpoint may be refused (TransientCqrsException) and retried
    long checkpoint = store().segments(PROCESSOR).get(0).checkpoint();
    if (locked != null) {
      Await.until("the mark's write given up", () -> a.backgroundWrites() == 0);
      collection.unlock(keys.claim(streams.get(0), 1), locked.cas());
    }
    CouchbaseEventStreamRepository b = store();
    List<LoggedEvent> seen = b.readLog(1, 100);
    if (lockClaim) {
      // The handed-back mark could not land, so the checkpoint must not pass its commit; a relay
      // of another process, once the lease is over, publishes it again (at least once).
      assertThat(checkpoint)
          .as("the checkpoint stops before the unmarked commit")
          .isLessThan(seen.get(0).position());
      assertThat(seen.get(0).published()).isFalse();
      Instant later = Instant.now().plus(TTL.multipliedBy(4));
      relay(b, "b", Clock.fixed(later, ZoneOffset.UTC), Duration.ZERO).publishPending();
      assertThat(deliveries.each()).containsEntry(streams.get(0) + "@1", 2);
    } else {
      // The handed-back mark landed before the checkpoint passed the commit.
      assertThat(checkpoint).isGreaterThanOrEqualTo(seen.get(0).position());
      assertThat(seen.get(0).published()).as("the commit the checkpoint passed is marked").isTrue();
    }
  }

  /**
   * No pause mid-pass needed: the relay merely goes more than two thirds of its lease without a
   * pass (a GC pause, a slow bus), so the timer hands the owed mark back, and that write fails (a
   * KV timeout; here the claim is locked). The commit stays "published" in the repository's kept
   * commits (CommitResolver.published was told when the mark was owed), so the relay's next pass
   * reads it published, passes it and saves its checkpoint past it with nothing owed, so nothing
   * recorded. The doc's "a mark that fails is logged: the events are then published again by that
   * relay" does not happen: every relay starts past it, and other processes read it unpublished for
   * good.
   */
  @Test
  void a_handed_back_mark_whose_write_failed_is_not_passed_unrecorded() throws Exception {
    CouchbaseEventStreamRepository a = store();
    EventRelay r1 =
        EventRelay.builder(a, deliveries)
            .owner("r1")
            .clock(new MutableClock(Instant.now())) // the store never sees the lease expire
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofMillis(1500)) // leads here for 1 s after each renewal
            .build();
    closing.add(r1);
    assertThat(r1.publishPending()).isZero();
    List<String> streams = deposit(a, 1);
    OwedMarks owed = owedOf(a);
    assertThat(owed.size()).as("the deposit's mark is owed").isOne();
    GetResult locked = collection.getAndLock(keys.claim(streams.get(0), 1), Duration.ofSeconds(30));
    Await.until("the owed mark handed back", () -> owed.size() == 0);
    // The write is in flight (held up by the lock) until it times out.
    Await.until("the handed-back mark's write sent", () -> a.backgroundWrites() > 0);
    Await.until("the handed-back mark's write given up", () -> a.backgroundWrites() == 0);
    collection.unlock(keys.claim(streams.get(0), 1), locked.cas());
    assertThat(raw(keys.claim(streams.get(0), 1))).get().asString().doesNotContain("\"p\"");

    assertThat(r1.publishPending()).as("r1 publishes nothing again").isZero();
    long checkpoint = a.segments(PROCESSOR).get(0).checkpoint();
    r1.close();
    a.awaitBackgroundWrites();

    CouchbaseEventStreamRepository b = store();
    List<LoggedEvent> seen = b.readLog(1, 100);
    if (checkpoint >= seen.get(0).position()) {
      assertThat(seen.get(0).published())
          .as("a commit the checkpoint passed is marked or recorded")
          .isTrue();
    } else {
      assertThat(deliveries.each().get(streams.get(0) + "@1")).isEqualTo(2);
    }
  }

  /**
   * An operator resets the relay forward past commits whose marks this process owes (published by
   * the fast path, not yet passed). The relay's next claim starts a new run at the reset's position
   * and forgets those marks: not written, not recorded. Readers of other processes then find events
   * that reached the bus unpublished ("see what the marks would have said" does not hold), and a
   * relay reset back publishes them again.
   */
  @Test
  void a_reset_forward_past_owed_commits_does_not_forget_their_marks() throws Exception {
    CouchbaseEventStreamRepository a = store();
    MutableClock clock = new MutableClock(Instant.now());
    EventRelay relayA =
        EventRelay.builder(a, deliveries)
            .owner("a")
            .clock(clock)
            .grace(Duration.ofDays(1)) // leaves the young commits to the fast path
            .leaseTtl(TTL)
            .build();
    closing.add(relayA);
    assertThat(relayA.publishPending()).isZero();
    List<String> streams = deposit(a, 2); // owed
    assertThat(owedOf(a).size()).isEqualTo(2);
    long last = a.readLog(1, 100).get(1).position();
    clock.advance(TTL.multipliedBy(2)); // the relay's lease over on its clock (not yet here)
    a.reset(PROCESSOR, last, clock.instant()); // the operator skips ahead
    assertThat(relayA.publishPending()).isZero(); // takes the lease at the reset's position
    relayA.close();
    a.awaitBackgroundWrites();

    CouchbaseEventStreamRepository b = store();
    Await.until(
        Duration.ofSeconds(5),
        "the deposits published for another process's reader",
        () -> b.readLog(1, 100).stream().allMatch(LoggedEvent::published));
  }

  /**
   * As above, but the operator resets the relay into the middle of an owed commit (two events,
   * checkpoint at the first). The new run starts inside the commit, so the mark's last position is
   * past its "since" and the mark is forgotten; the run recorded, (first, last], does not cover the
   * first event, which reached the bus (the fast path published the whole commit): other processes'
   * readers report it unpublished for good.
   */
  @Test
  void a_reset_into_an_owed_commit_does_not_forget_its_mark() throws Exception {
    CouchbaseEventStreamRepository a = store();
    MutableClock clock = new MutableClock(Instant.now());
    EventRelay relayA =
        EventRelay.builder(a, deliveries)
            .owner("a")
            .clock(clock)
            .grace(Duration.ofDays(1)) // leaves the young commit to the fast path
            .leaseTtl(TTL)
            .build();
    closing.add(relayA);
    assertThat(relayA.publishPending()).isZero();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(a, TestEvents.registry()).publisher(deliveries).build();
    Account account = new Account(prefix + "-acc-two");
    account.deposit(10);
    account.deposit(20);
    repository.save(account, "deposit-two"); // one commit of two events, its mark owed
    assertThat(owedOf(a).size()).isOne();
    List<LoggedEvent> log = a.readLog(1, 100);
    assertThat(log).hasSize(2);
    long first = log.get(0).position();
    clock.advance(TTL.multipliedBy(2)); // the relay's lease over on its clock
    a.reset(PROCESSOR, first, clock.instant()); // the operator resets into the commit
    assertThat(relayA.publishPending()).isZero(); // leases there, passes the commit's last event
    assertThat(a.segments(PROCESSOR).get(0).checkpoint()).isEqualTo(log.get(1).position());
    relayA.close();
    a.awaitBackgroundWrites();

    CouchbaseEventStreamRepository b = store();
    Await.until(
        Duration.ofSeconds(5),
        "both events of the commit published for another process's reader",
        () -> b.readLog(1, 100).stream().allMatch(LoggedEvent::published));
  }

  private List<String> deposit(CouchbaseEventStreamRepository store, int count) {
    return deposit(store, count, "");
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

  /** One deposit on a new account, committed now by {@code store}, whose publication fails. */
  private String unpublished(CouchbaseEventStreamRepository store, String tag) {
    Deliveries failing =
        new Deliveries() {
          @Override
          public void publish(List<VersionedEvent> events) {
            throw new IllegalStateException("the bus is down");
          }
        };
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, TestEvents.registry()).publisher(failing).build();
    Account account = new Account(prefix + "-" + tag);
    account.deposit(10);
    repository.save(account, "deposit-" + tag);
    return account.id();
  }

  private CouchbaseEventStreamRepository store() {
    CouchbaseEventStreamRepository store = builder().build();
    closing.add(store);
    return store;
  }

  private EventRelay relay(
      CouchbaseEventStreamRepository store, String owner, Clock clock, Duration grace) {
    return relay(store, owner, clock, grace, TTL);
  }

  private EventRelay relay(
      CouchbaseEventStreamRepository store,
      String owner,
      Clock clock,
      Duration grace,
      Duration ttl) {
    EventRelay relay =
        EventRelay.builder(store, deliveries)
            .owner(owner)
            .clock(clock)
            .grace(grace)
            .leaseTtl(ttl)
            .build();
    closing.add(relay);
    return relay;
  }

  /** Waits for a pass; a TransientCqrsException (the checkpoint refused) is an allowed outcome. */
  private static void passTolerating(Future<Integer> pass) throws Exception {
    try {
      pass.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(io.cqrs.TransientCqrsException.class);
    }
  }

  static OwedMarks owedOf(CouchbaseEventStreamRepository store) {
    return store.owedMarks();
  }

  /** Counts each event published, by stream and version, whoever publishes it. */
  static class Deliveries implements EventBus {
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
    public Subscription subscribe(
        String subscription, int listeners, VersionedEventHandler consumer) {
      throw new UnsupportedOperationException("publish only");
    }

    @Override
    public void close() {}
  }

  /** A relay's store whose next checkpoint save, once armed, parks until resumed. */
  private static final class ParkingCheckpoints extends ForwardingRelayProcessorStore {
    final AtomicBoolean armed = new AtomicBoolean();
    final CountDownLatch parked = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);

    ParkingCheckpoints(CouchbaseEventStreamRepository store) {
      super(store);
    }

    @Override
    public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
      if (armed.compareAndSet(true, false)) {
        parked.countDown();
        try {
          resume.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      super.saveCheckpoint(claim, position, now);
    }
  }
}
