package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.couchbase.client.java.json.JsonArray;
import com.couchbase.client.java.json.JsonObject;
import com.couchbase.client.java.kv.GetResult;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import io.cqrs.testing.ChildJvm;
import io.cqrs.testing.ForwardingRelayProcessorStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A process whose own relay holds the lease writes no publication marks for what its repository
 * publishes: its relay learns it in memory (docs/couchbase-relay.md, "Marks a leading relay's
 * process keeps"). These tests try to lose an event with that: the process dies owing marks (or is
 * killed before it owes one), its relay loses the lease to another process's, or gives it up.
 */
class CouchbaseOwedMarksIT extends RepositoryIT {
  private static final Duration TTL = Duration.ofSeconds(30);

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Deliveries deliveries = new Deliveries();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void the_leading_relays_process_writes_no_marks_and_no_relay_publishes_its_commits_again() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    List<String> streams = deposit(a, 3);

    assertThat(deliveries.each()).hasSize(3).containsOnlyKeys(deliveries.keys(streams));
    for (String stream : streams) {
      assertThat(raw(keys.claim(stream, 1))).get().asString().doesNotContain("\"p\"");
    }
    assertThat(a.readLog(1, 100)).allMatch(LoggedEvent::published);
    assertThat(relayA.publishPending()).isZero(); // passes them: the owed marks are forgotten

    assertThat(a.readLog(1, 100)).allMatch(LoggedEvent::published);
    // A reader of another process finds the claims unmarked, and how far the relay passed.
    CouchbaseEventStreamRepository reader = store();
    Await.until(
        "the log published for another process's reader",
        () -> reader.readLog(1, 100).stream().allMatch(LoggedEvent::published));
    // Another process's relay, once the lease is its, starts past what the first relay passed.
    CouchbaseEventStreamRepository b = store();
    EventRelay relayB = relay(b, "b", later(), Duration.ZERO);
    assertThat(relayB.publishPending()).isZero();
    assertThat(relayB.isLeader()).isTrue();
    assertThat(deliveries.each()).allSatisfy((event, times) -> assertThat(times).isOne());
  }

  /**
   * The log's last commit, passed by a pass that forgets no mark before it (here the only commit;
   * in the scale-out run, one whose predecessors other processes committed and marked): its owed
   * mark is forgotten and the run recorded, so that readers of other processes find it published
   * although nothing is committed after it. The commit holding the relay's checkpoint was always
   * kept owed, in case it was passed in part; one passed whole stayed owed, and unrecorded, until a
   * later commit came.
   */
  @Test
  void the_last_commit_passed_whole_is_published_for_other_processes() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    List<String> streams = deposit(a, 1);
    assertThat(relayA.publishPending()).isZero(); // passes it, owed

    CouchbaseEventStreamRepository reader = store();
    Await.until(
        "the commit published for another process's reader",
        () -> {
          List<LoggedEvent> log = reader.readLog(1, 100);
          return log.size() == 1 && log.get(0).published();
        });
    assertThat(raw(keys.claim(streams.get(0), 1))).get().asString().doesNotContain("\"p\"");
    assertThat(deliveries.each())
        .hasSize(1)
        .allSatisfy((event, times) -> assertThat(times).isOne());
  }

  /**
   * The write of the relays' record fails once (here the document is locked; a timeout, or a server
   * that is briefly away, does the same) and the log goes quiet: no later pass forgets a mark, so
   * none records a new run. The run whose write failed must still be written, by a later pass, and
   * not dropped, which would leave the commits looking unpublished to other processes.
   */
  @Test
  void a_record_of_what_the_relay_passed_whose_write_failed_is_written_by_a_later_pass() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    List<String> streams = deposit(a, 3);
    passWithTheRecordLocked(a, relayA);

    CouchbaseEventStreamRepository reader = store();
    Await.until(
        "the log published for another process's reader",
        () -> {
          assertThat(relayA.publishPending()).isZero(); // a pass on a quiet log
          return reader.readLog(1, 100).stream().allMatch(LoggedEvent::published);
        });
    relayA.close();
    reader.reset(EventRelay.processorName("cqrs-relay"), 0, Instant.now());
    assertThat(relay(reader, "b", Clock.systemUTC(), Duration.ZERO).publishPending()).isZero();
    assertThat(deliveries.each())
        .containsOnlyKeys(deliveries.keys(streams))
        .allSatisfy((event, times) -> assertThat(times).isOne());
  }

  /**
   * As above, but the relay gives its lease up right after the pass whose record failed, and no
   * pass follows: giving the lease up, or closing the repository, writes the run.
   */
  @Test
  void
      a_record_of_what_the_relay_passed_whose_write_failed_is_written_when_it_gives_up_its_lease() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    deposit(a, 3);
    passWithTheRecordLocked(a, relayA);
    relayA.close();
    a.close(); // waits for the record's write

    assertThat(store().readLog(1, 100)).hasSize(3).allMatch(LoggedEvent::published);
  }

  /**
   * As above, but nothing follows the failed write: no pass (the log is quiet), no loss of the
   * lease, no close. The runs put back waited for the repository's close; a retry writes them.
   */
  @Test
  void a_record_whose_write_failed_is_written_again_though_nothing_else_happens() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    deposit(a, 3);
    passWithTheRecordLocked(a, relayA);

    Await.until(
        "another process to read the passed commits as published",
        () -> store().readLog(1, 100).stream().allMatch(LoggedEvent::published));
    assertThat(store().readLog(1, 100)).hasSize(3);
  }

  /**
   * A process whose relay leads is killed after its relay saved a checkpoint past commits whose
   * marks it owed, before the record of the run it passed was written (the record was written in
   * the background, after the checkpoint): every later relay starts past those commits, and every
   * other process reads them as unpublished for good (a scale-out run with a SIGKILL left 22 so).
   * Here the record's writes fail while the process "dies" (it is never closed, and the record
   * stays locked until the other relay has run): the checkpoint must not stand past them.
   */
  @Test
  void a_process_killed_before_it_recorded_what_its_relay_passed_loses_no_event() {
    CouchbaseEventStreamRepository a = builder().build(); // never closed: it dies
    EventRelay relayA = leading(a);
    List<String> streams = deposit(a, 3);
    GetResult locked = lockRelayed();
    try {
      try {
        relayA.publishPending(); // passes them; the record of the run cannot be written
      } catch (TransientCqrsException notRecorded) {
        // So the checkpoint was not saved either.
      }

      // The lease runs out; another process's relay starts from the checkpoint the dead one
      // saved, and finds the commits unmarked and unrecorded: it publishes them again.
      CouchbaseEventStreamRepository b = store();
      EventRelay relayB = relay(b, "b", later(), Duration.ZERO);
      assertThat(relayB.publishPending()).isEqualTo(3);
      assertThat(b.readLog(1, 100)).hasSize(3).allMatch(LoggedEvent::published);
      assertThat(deliveries.each())
          .containsOnlyKeys(deliveries.keys(streams))
          .allSatisfy((event, times) -> assertThat(times).isEqualTo(2));
    } finally {
      collection.unlock(keys.relayed(), locked.cas());
    }
  }

  /**
   * A pass of {@code relay} (on {@code store}) while the relays' record is locked: it passes the
   * commits, but the record of the run cannot be written first, so nothing is saved and the pass
   * fails; the record is unlocked once the write has failed.
   */
  private void passWithTheRecordLocked(CouchbaseEventStreamRepository store, EventRelay relay) {
    GetResult locked = lockRelayed();
    assertThatThrownBy(relay::publishPending).isInstanceOf(TransientCqrsException.class);
    Await.until("the record's write failed", () -> store.backgroundWrites() == 0);
    collection.unlock(keys.relayed(), locked.cas());
  }

  /**
   * Locks the relays' record, created empty, so that its writes fail until it is unlocked: the lock
   * outlasts any test, and is released by the test.
   */
  private GetResult lockRelayed() {
    collection.upsert(keys.relayed(), JsonObject.create().put("f", 1).put("r", JsonArray.create()));
    return collection.getAndLock(keys.relayed(), Duration.ofSeconds(30));
  }

  /**
   * A relay that starts again from an earlier checkpoint (its processor reset, or a relay of a new
   * name) finds the commits whose marks were owed and forgotten unmarked: it must not publish them
   * all again, in this process or another.
   */
  @Test
  void a_relay_reset_to_the_start_does_not_publish_again_what_was_passed_without_marks() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    deposit(a, 3);
    assertThat(relayA.publishPending()).isZero(); // passes them: the owed marks are forgotten
    relayA.close();
    String processor = EventRelay.processorName("cqrs-relay");
    Await.until(
        "the relay's passage recorded",
        () -> raw(keys.relayed()).filter(doc -> doc.contains("\"r\"")).isPresent());
    a.reset(processor, 0, Instant.now());

    EventRelay again = relay(a, "a2", Clock.systemUTC(), Duration.ZERO);
    assertThat(again.publishPending()).isZero();
    again.close();
    a.reset(processor, 0, Instant.now());
    assertThat(relay(store(), "b", later(), Duration.ZERO).publishPending()).isZero();

    assertThat(deliveries.each())
        .hasSize(3)
        .allSatisfy((event, times) -> assertThat(times).isOne());
  }

  /**
   * The relay's checkpoint write lands but its answer is lost (a KV timeout, an ambiguous
   * durability outcome): the relay's process never learns the checkpoint it reached, and finds it
   * at its next renewal, with the same token. The commits it passed there, their marks owed and now
   * forgotten, must still be recorded as passed: for other processes' readers, and for a relay
   * reset back. Here the relay's write goes through a second repository, so that the relay's own
   * store never sees it land, and the relay is told it failed: a write whose answer was lost.
   */
  @Test
  void a_checkpoint_write_that_lands_without_an_answer_still_records_what_the_relay_passed() {
    CouchbaseEventStreamRepository a = store();
    CouchbaseEventStreamRepository b = store();
    AtomicBoolean loseAnswer = new AtomicBoolean();
    ForwardingRelayProcessorStore answerLost =
        new ForwardingRelayProcessorStore(a) {
          @Override
          public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
            if (loseAnswer.compareAndSet(true, false)) {
              b.saveCheckpoint(claim, position, now); // lands, unseen by the relay's store
              throw new TransientCqrsException("the checkpoint write's answer was lost");
            }
            super.saveCheckpoint(claim, position, now);
          }
        };
    EventRelay relayA =
        EventRelay.builder(answerLost, deliveries)
            .owner("a")
            .grace(Duration.ZERO)
            .leaseTtl(TTL)
            .build();
    closing.add(relayA);
    assertThat(relayA.publishPending()).isZero();
    assertThat(relayA.isLeader()).isTrue();
    List<String> streams = deposit(a, 3);
    String processor = EventRelay.processorName("cqrs-relay");
    loseAnswer.set(true);
    assertThatThrownBy(relayA::publishPending).isInstanceOf(TransientCqrsException.class);
    List<LoggedEvent> log = a.readLog(1, 100);
    assertThat(b.segments(processor).get(0).checkpoint())
        .as("the write landed")
        .isEqualTo(log.get(log.size() - 1).position());

    assertThat(relayA.publishPending()).isZero(); // renews the lease: its checkpoint moved
    relayA.close();
    a.close(); // waits for the record's write

    CouchbaseEventStreamRepository c = store();
    assertThat(c.readLog(1, 100)).hasSize(3).allMatch(LoggedEvent::published);
    c.reset(processor, 0, Instant.now());
    assertThat(relay(c, "b", Clock.systemUTC(), Duration.ZERO).publishPending()).isZero();
    assertThat(deliveries.each())
        .containsOnlyKeys(deliveries.keys(streams))
        .allSatisfy((event, times) -> assertThat(times).isOne());
  }

  /**
   * An operator's reset past an unpublished event (a poison event skipped, say) must not make it
   * count as published through the relays' record of what they passed without marks: reset back,
   * the relay publishes it, and only it.
   */
  @Test
  void an_event_a_reset_skipped_stays_unpublished_and_is_published_after_a_reset_back() {
    CouchbaseEventStreamRepository a = store();
    leading(a).close(); // the relay's processor exists, its lease given up
    String skipped = prefix + "-skipped";
    a.save(skipped, 0, TestEvents.batch(skipped, 0, 1)); // committed, never published
    long skippedAt = a.readLog(1, 100).get(0).position();
    String processor = EventRelay.processorName("cqrs-relay");
    a.reset(processor, skippedAt, Instant.now());
    EventRelay after = leading(a);
    List<String> streams = deposit(a, 2);
    assertThat(after.publishPending()).isZero(); // passes the deposits, owed: a run is recorded
    after.close();

    Await.until(
        "the run recorded",
        () -> raw(keys.relayed()).filter(doc -> doc.contains("\"r\"")).isPresent());
    assertThat(store().readLog(1, 100))
        .extracting(logged -> logged.event().sourceId(), LoggedEvent::published)
        .containsExactly(
            tuple(skipped, false), tuple(streams.get(0), true), tuple(streams.get(1), true));
    a.reset(processor, 0, Instant.now());
    assertThat(relay(store(), "b", Clock.systemUTC(), Duration.ZERO).publishPending()).isOne();
    assertThat(deliveries.each())
        .containsOnlyKeys(skipped + "@1", streams.get(0) + "@1", streams.get(1) + "@1")
        .allSatisfy((event, times) -> assertThat(times).isOne());
  }

  @Test
  void a_commit_too_large_to_be_kept_in_memory_is_known_published_from_its_owed_mark() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    Account account = new Account(prefix + "-large");
    for (int i = 0; i <= CommitResolver.KEPT_EVENTS; i++) {
      account.deposit(1);
    }
    EventSourcingRepository.builder(a, TestEvents.registry())
        .publisher(deliveries)
        .build()
        .save(account, "bulk");
    assertThat(deliveries.each()).hasSize(CommitResolver.KEPT_EVENTS + 1);

    assertThat(relayA.publishPending()).isZero();

    assertThat(raw(keys.claim(account.id(), 1))).get().asString().doesNotContain("\"p\"");
    assertThat(deliveries.each()).allSatisfy((event, times) -> assertThat(times).isOne());
  }

  @Test
  void a_process_that_dies_owing_marks_loses_no_event() {
    CouchbaseEventStreamRepository a = builder().build(); // never closed: it dies
    leading(a);
    List<String> streams = deposit(a, 3);
    assertThat(deliveries.each()).hasSize(3);
    assertThat(store().readLog(1, 100)).noneMatch(LoggedEvent::published);

    // The lease runs out; another process's relay finds the commits unmarked and publishes them
    // again (at least once), past the dead relay's checkpoint.
    CouchbaseEventStreamRepository b = store();
    EventRelay relayB = relay(b, "b", later(), Duration.ZERO);

    assertThat(relayB.publishPending()).isEqualTo(3);
    assertThat(deliveries.each())
        .containsOnlyKeys(deliveries.keys(streams))
        .allSatisfy((event, times) -> assertThat(times).isEqualTo(2));
  }

  /**
   * A process killed with SIGKILL ({@link PublishChild}) right after its bus took a commit's events
   * and before the repository learnt it (nothing owed, nothing marked), or once the repository owed
   * the commit's mark to its leading relay (owed, never written): either way the commit is left
   * unmarked, and the relay that takes the lease next publishes it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"PUBLISHED", "OWED"})
  void a_process_killed_after_its_bus_took_the_events_loses_no_event(String park) throws Exception {
    String account = prefix + "-killed";
    List<String> output;
    try (ChildJvm child = ChildJvm.start(PublishChild.class, Map.of(), childArgs(park, account))) {
      child.awaitLine("PARKED", Duration.ofSeconds(120));
      child.kill();
      output = child.output();
    }
    assertThat(output).contains("PUBLISHED " + account + "@1");
    assertThat(raw(keys.claim(account, 1))).get().asString().doesNotContain("\"p\"");
    CouchbaseEventStreamRepository b = store();
    assertThat(b.readLog(1, 100)).noneMatch(LoggedEvent::published);

    // The dead relay's lease runs out; the next relay finds the commit unmarked and publishes it.
    EventRelay relayB = relay(b, "b", later(), Duration.ZERO);
    assertThat(relayB.publishPending()).isOne();
    assertThat(deliveries.each()).isEqualTo(Map.of(account + "@1", 1));
    assertThat(b.readLog(1, 100)).allMatch(LoggedEvent::published);
  }

  /**
   * A process killed with SIGKILL ({@link PublishChild}, {@code PASSED}) right after a pass of its
   * leading relay passed the commit whose mark it owed: the mark was forgotten, never written, and
   * the relay's checkpoint stands after the commit. What tells every other process that the commit
   * reached the bus is the relays' record of the run the pass passed, which must be written before
   * the checkpoint: when it was written after it, in the background, a kill here left the commit
   * unpublished for good to every reader (the scale-out run's 22 events).
   */
  @Test
  void a_process_killed_right_after_its_relay_passed_what_it_owed_leaves_it_published()
      throws Exception {
    String account = prefix + "-passed";
    List<String> output;
    try (ChildJvm child =
        ChildJvm.start(PublishChild.class, Map.of(), childArgs("PASSED", account))) {
      child.awaitLine("PARKED", Duration.ofSeconds(120));
      child.kill();
      output = child.output();
    }
    assertThat(output).containsOnlyOnce("PUBLISHED " + account + "@1");
    assertThat(raw(keys.claim(account, 1))).get().asString().doesNotContain("\"p\"");

    CouchbaseEventStreamRepository b = store();
    assertThat(b.readLog(1, 100))
        .singleElement()
        .satisfies(e -> assertThat(e.published()).isTrue());
    // Nor does the relay that takes the lease next publish it again.
    assertThat(relay(b, "b", later(), Duration.ZERO).publishPending()).isZero();
    assertThat(deliveries.each()).isEmpty();
  }

  @Test
  void a_relay_that_loses_its_lease_writes_the_marks_it_owed() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    List<String> streams = deposit(a, 2);
    // Another process's relay takes the lease (on its clock the first's has run out) and, its
    // grace not over, leaves the young commits to the fast path.
    CouchbaseEventStreamRepository b = store();
    assertThat(relay(b, "b", later(), Duration.ofDays(1)).publishPending()).isZero();

    assertThat(relayA.publishPending()).isZero(); // refused the lease: hands the marks back
    assertThat(relayA.isLeader()).isFalse();

    awaitMarked(streams);
    // What the repository publishes after the lease was lost is marked, not owed.
    List<String> after = deposit(a, 1, "after-");
    awaitMarked(after);
    assertThat(relay(b, "b", later(), Duration.ZERO).publishPending()).isZero();
    assertThat(deliveries.each()).allSatisfy((event, times) -> assertThat(times).isOne());
  }

  /**
   * A relay that stops renewing its lease without giving it up (its thread hung or died) leaves the
   * marks owed: once the lease has run out on this process's clock, a timer writes them, with no
   * command or pass needed to notice.
   */
  @Test
  void a_relay_that_stops_renewing_its_lease_has_its_owed_marks_written_by_a_timer() {
    CouchbaseEventStreamRepository a = store();
    EventRelay hung =
        EventRelay.builder(a, deliveries)
            .owner("hung")
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofMillis(900)) // counts here for 600 ms
            .pollInterval(Duration.ofMillis(100))
            .build();
    closing.add(hung);
    assertThat(hung.publishPending()).isZero(); // takes the lease, and never renews it
    List<String> streams = deposit(a, 2);
    assertThat(raw(keys.claim(streams.get(0), 1))).get().asString().doesNotContain("\"p\"");

    awaitMarked(streams);
  }

  @Test
  void a_relay_that_gives_its_lease_up_writes_the_marks_it_owed() {
    CouchbaseEventStreamRepository a = store();
    EventRelay relayA = leading(a);
    List<String> streams = deposit(a, 2);

    relayA.close();

    awaitMarked(streams);
    CouchbaseEventStreamRepository b = store();
    assertThat(relay(b, "b", Clock.systemUTC(), Duration.ZERO).publishPending()).isZero();
    assertThat(deliveries.each()).allSatisfy((event, times) -> assertThat(times).isOne());
  }

  @Test
  void without_a_leading_relay_in_the_process_every_mark_is_written() {
    CouchbaseEventStreamRepository a = store();
    // A relay of another process leads.
    assertThat(relay(store(), "b", Clock.systemUTC(), Duration.ofDays(1)).publishPending())
        .isZero();
    List<String> streams = deposit(a, 2);

    awaitMarked(streams);
  }

  /** A relay of {@code store}'s process, which has taken the lease (its first pass, on nothing). */
  private EventRelay leading(CouchbaseEventStreamRepository store) {
    EventRelay relay = relay(store, "a", Clock.systemUTC(), Duration.ZERO);
    assertThat(relay.publishPending()).isZero();
    assertThat(relay.isLeader()).isTrue();
    return relay;
  }

  /** Waits until the claims of {@code streams}' first commits carry a publication mark. */
  private void awaitMarked(List<String> streams) {
    Await.until(
        "the marks written",
        () ->
            streams.stream().allMatch(s -> raw(keys.claim(s, 1)).orElseThrow().contains("\"p\"")));
  }

  /**
   * One deposit on each of {@code count} new accounts, saved and published through {@code store}.
   */
  private List<String> deposit(CouchbaseEventStreamRepository store, int count) {
    return deposit(store, count, "");
  }

  /** {@link #deposit}, to accounts whose ids hold {@code tag}. */
  private List<String> deposit(CouchbaseEventStreamRepository store, int count, String tag) {
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, TestEvents.registry()).publisher(deliveries).build();
    List<String> streams = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Account account = new Account(prefix + "-acc-" + tag + i);
      account.deposit(10);
      repository.save(account, "deposit-" + i);
      streams.add(account.id());
    }
    return streams;
  }

  private CouchbaseEventStreamRepository store() {
    CouchbaseEventStreamRepository store = builder().build();
    closing.add(store);
    return store;
  }

  private EventRelay relay(
      CouchbaseEventStreamRepository store, String owner, Clock clock, Duration grace) {
    EventRelay relay =
        EventRelay.builder(store, deliveries)
            .owner(owner)
            .clock(clock)
            .grace(grace)
            .leaseTtl(TTL)
            .build();
    closing.add(relay);
    return relay;
  }

  /** A clock on which every lease taken now has run out. */
  private static Clock later() {
    return Clock.fixed(Instant.now().plus(TTL.multipliedBy(4)), ZoneOffset.UTC);
  }

  /** Counts each event published, by stream and version, whoever publishes it. */
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

    String[] keys(List<String> streams) {
      return streams.stream().map(stream -> stream + "@1").toArray(String[]::new);
    }

    @Override
    public Subscription subscribe(
        String subscription, int listeners, VersionedEventHandler consumer) {
      throw new UnsupportedOperationException("publish only");
    }

    @Override
    public void close() {}
  }
}
