package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.CouchbaseCheckedSaveIT.Deposit;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.OwnThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The adversary of "Saves a command has checked" (docs/couchbase.md): explicit interleavings of
 * checked saves with another process's writes, readers completing prepared commits, archives and
 * the writer's memory of its head updates being forgotten.
 */
class CouchbaseCheckedSaveInterleavingIT extends RepositoryIT {
  private static final TypeRegistry REGISTRY =
      new TypeRegistry()
          .registerAggregate(Account.class, TestEvents.Deposited.class)
          .registerCommands(Deposit.class);

  /** Parks the save of the armed thread at the armed step, once. */
  static final class Parking implements StreamWriter.Hook {
    final AtomicReference<Thread> thread = new AtomicReference<>();
    final AtomicReference<StreamWriter.Step> step = new AtomicReference<>();
    final CountDownLatch parked = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger headLookups = new AtomicInteger();

    void arm(Thread t, StreamWriter.Step at) {
      step.set(at);
      thread.set(t);
    }

    @Override
    public void at(StreamWriter.Step at) {
      if (at == StreamWriter.Step.SEQUENCE_ASKED) {
        headLookups.incrementAndGet();
      }
      if (thread.get() == Thread.currentThread() && step.compareAndSet(at, null)) {
        parked.countDown();
        await(release);
      }
    }
  }

  private final List<CouchbaseEventStreamRepository> stores = new ArrayList<>();

  @AfterEach
  void close() {
    for (CouchbaseEventStreamRepository store : stores) {
      store.close();
    }
  }

  private CouchbaseEventStreamRepository store(
      int window, StreamWriter.Hook hook, HeadArchive.Hook archiveHook) {
    CouchbaseEventStreamRepository.Builder builder =
        CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
            .keyPrefix(prefix)
            .gapGracePeriod(SHORT_GRACE)
            .headWindow(window);
    if (hook != null) {
      builder.saveHook(hook);
    }
    if (archiveHook != null) {
      builder.archiveHook(archiveHook);
    }
    CouchbaseEventStreamRepository store = builder.build();
    stores.add(store);
    return store;
  }

  private final AtomicInteger handlerRuns = new AtomicInteger();

  private CommandDispatchManager path(CouchbaseEventStreamRepository store) {
    return path(store, () -> {});
  }

  private CommandDispatchManager path(CouchbaseEventStreamRepository store, Runnable beforeLoad) {
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, REGISTRY)
            .cache(AggregateCache.maximumSize(10_000))
            .build();
    return CommandDispatchManager.builder(null, REGISTRY)
        .errorLog(store)
        .deduplicate(true)
        .lookupProvesEffects(true)
        .deferCacheChecks(true)
        .maxBackoff(Duration.ofMillis(2))
        .build()
        .registerCommandHandler(
            Deposit.class,
            (deposit, command) -> {
              handlerRuns.incrementAndGet();
              beforeLoad.run();
              Account account = repository.get(deposit.accountId(), Account::new);
              account.deposit(deposit.amount());
              repository.save(account, command);
            });
  }

  private String open(CouchbaseEventStreamRepository store, String name) throws Exception {
    String id = prefix + "-" + name;
    store.save(
        StreamAppend.of(id, 0, TestEvents.batch(id, 0, 1))
            .withAggregateType(TypeRegistry.logicalName(Account.class)));
    store.awaitBackgroundWrites();
    return id;
  }

  private static Command deposit(String id, long amount) {
    return Command.create(new Deposit(id, amount));
  }

  /**
   * A checked save parked after storing its commit (prepared); the other process's log reader
   * completes it, then that process writes twice on the stream; the parked save resumes, and its
   * process goes on with checked saves on its (now stale) entry.
   */
  @Test
  void a_parked_checked_saves_commit_completed_by_another_process_then_both_go_on()
      throws Exception {
    Parking parking = new Parking();
    CouchbaseEventStreamRepository a = store(128, parking, null);
    CouchbaseEventStreamRepository b = store(128, null, null);
    CommandDispatchManager inA = path(a);
    CommandDispatchManager inB = path(b);
    String id = open(a, "prepared");
    inA.dispatch(deposit(id, 2)); // A caches v2, knows its head update
    inA.dispatch(deposit(id, 3)); // checked: A's heads memory at v3
    a.awaitBackgroundWrites();
    parking.headLookups.set(0);

    Command x = deposit(id, 100);
    CompletableFuture<Void> first =
        OwnThread.runAsync(
            () -> {
              parking.arm(Thread.currentThread(), StreamWriter.Step.STORED);
              dispatch(inA, x);
            });
    await(parking.parked);
    assertThat(parking.headLookups.get()).as("the parked save is checked").isZero();
    // B's log reader reaches the prepared commit and completes it for A.
    assertThat(b.readLog(1, 1000)).extracting(l -> l.event().version()).contains(4L);
    inB.dispatch(deposit(id, 5)); // v5
    inB.dispatch(deposit(id, 6)); // v6
    inB.dispatch(x); // a redelivery: its look-up finds the completed commit
    b.awaitBackgroundWrites();
    parking.release.countDown();
    first.get(60, TimeUnit.SECONDS);
    inA.dispatch(deposit(id, 7)); // stale entry at v4: refused by its claim, retried
    inA.dispatch(deposit(id, 8));
    inA.dispatch(x);
    a.awaitBackgroundWrites();

    verify(id, 128, 8);
  }

  /**
   * Two deliveries of one command in two processes: the first parked after storing its commit; the
   * second's look-up finds the prepared commit and completes it, so it must count it as the
   * command's effect and not run the handler. The first then finds its commit claimed for it.
   */
  @Test
  void a_twins_lookup_completes_the_parked_deliverys_commit_and_takes_it_for_the_effect()
      throws Exception {
    Parking parking = new Parking();
    CouchbaseEventStreamRepository a = store(128, parking, null);
    CouchbaseEventStreamRepository b = store(128, null, null);
    CommandDispatchManager inA = path(a);
    CommandDispatchManager inB = path(b);
    String id = open(a, "twin");
    inA.dispatch(deposit(id, 2));
    inB.dispatch(deposit(id, 3)); // B caches v3
    inA.dispatch(deposit(id, 4)); // A: stale at 2, retried, caches v4
    a.awaitBackgroundWrites();

    Command x = deposit(id, 100);
    CompletableFuture<Void> first =
        OwnThread.runAsync(
            () -> {
              parking.arm(Thread.currentThread(), StreamWriter.Step.STORED);
              dispatch(inA, x);
            });
    await(parking.parked);
    int before = handlerRuns.get();
    inB.dispatch(x);
    assertThat(handlerRuns.get()).as("B's delivery ran no handler").isEqualTo(before);
    parking.release.countDown();
    first.get(60, TimeUnit.SECONDS);
    a.awaitBackgroundWrites();
    b.awaitBackgroundWrites();

    verify(id, 128, 5);
  }

  /**
   * A checked save parked after its claim (its head update not sent) while the other process writes
   * eight more commits on a head archived every two versions; then the parked save's process goes
   * on.
   */
  @Test
  void a_checked_save_parked_after_its_claim_while_another_process_archives_its_head()
      throws Exception {
    Parking parking = new Parking();
    CouchbaseEventStreamRepository a = store(1, parking, null);
    CouchbaseEventStreamRepository b = store(1, null, null);
    CommandDispatchManager inA = path(a);
    CommandDispatchManager inB = path(b);
    String id = open(a, "archived");
    for (int i = 0; i < 5; i++) {
      inA.dispatch(deposit(id, 10 + i));
    }
    a.awaitBackgroundWrites();
    Command x = deposit(id, 100);
    CompletableFuture<Void> first =
        OwnThread.runAsync(
            () -> {
              parking.arm(Thread.currentThread(), StreamWriter.Step.CLAIMED);
              dispatch(inA, x);
            });
    await(parking.parked);
    for (int i = 0; i < 8; i++) {
      inB.dispatch(deposit(id, 20 + i));
    }
    b.awaitBackgroundWrites();
    parking.release.countDown();
    first.get(60, TimeUnit.SECONDS);
    for (int i = 0; i < 4; i++) {
      inA.dispatch(deposit(id, 30 + i));
    }
    inB.dispatch(x);
    inA.dispatch(x);
    a.awaitBackgroundWrites();
    b.awaitBackgroundWrites();

    verify(id, 1, 1 + 5 + 1 + 8 + 4);
  }

  /**
   * Another process's archive lands between two checked saves of this writer (the version has not
   * moved, only the head's CAS and layout): the second checked save's update is refused its CAS,
   * reads the head again and appends only its own commit.
   */
  @Test
  void another_process_archives_the_head_between_two_checked_saves() throws Exception {
    AtomicBoolean holdArchive = new AtomicBoolean();
    CountDownLatch archiveHeld = new CountDownLatch(1);
    CompletableFuture<Void> archiveGate = new CompletableFuture<>();
    Parking parking = new Parking();
    CouchbaseEventStreamRepository a = store(2, parking, null);
    CouchbaseEventStreamRepository b =
        store(
            2,
            null,
            (step, stream) -> {
              if (holdArchive.compareAndSet(true, false)) {
                archiveHeld.countDown();
                return Mono.fromFuture(archiveGate);
              }
              return Mono.empty();
            });
    CommandDispatchManager inA = path(a);
    CommandDispatchManager inB = path(b);
    String id = open(a, "between");
    inA.dispatch(deposit(id, 2));
    inA.dispatch(deposit(id, 3)); // v3
    a.awaitBackgroundWrites();
    holdArchive.set(true);
    inB.dispatch(deposit(id, 4)); // v4 by B: due (4 - 0 >= 4), its archive held after the copy
    await(archiveHeld);
    inA.dispatch(deposit(id, 5)); // stale at 3: retried, ordinary save at 4 -> v5
    parking.headLookups.set(0);
    inA.dispatch(deposit(id, 6)); // checked, chained on A's update to v5
    a.awaitBackgroundWrites();
    archiveGate.complete(null); // B's archive lost its CAS: it reads the head again and replaces
    b.awaitBackgroundWrites();
    JsonNode archived = head(id);
    assertThat(archived.path("f").asInt()).as("archived by B").isEqualTo(2);
    inA.dispatch(deposit(id, 7)); // checked: the CAS A remembers is gone
    inA.dispatch(deposit(id, 8));
    a.awaitBackgroundWrites();
    assertThat(parking.headLookups.get()).as("ordinary saves after the chain began").isZero();

    verify(id, 2, 8);
  }

  /**
   * The writer's memory of its head updates is forgotten (more than 4,096 streams) while a checked
   * save is parked after its claim and another repository of the same writer commits the next
   * version; the parked save then records where its older update leaves the head.
   */
  @Test
  void the_remembered_heads_are_forgotten_while_a_checked_save_is_parked_after_its_claim()
      throws Exception {
    Parking parking = new Parking();
    CouchbaseEventStreamRepository a = store(128, parking, null);
    CouchbaseEventStreamRepository b = store(128, null, null);
    CommandDispatchManager inA = path(a);
    CommandDispatchManager inA2 = path(a); // same writer, its own cache
    CommandDispatchManager inB = path(b);
    String id = open(a, "forgotten");
    inA.dispatch(deposit(id, 2));
    inA.dispatch(deposit(id, 3));
    a.awaitBackgroundWrites();
    Command x = deposit(id, 100);
    CompletableFuture<Void> first =
        OwnThread.runAsync(
            () -> {
              parking.arm(Thread.currentThread(), StreamWriter.Step.CLAIMED);
              dispatch(inA, x);
            });
    await(parking.parked);
    inA2.dispatch(deposit(id, 5)); // v5, an ordinary save of the same writer
    a.awaitBackgroundWrites();
    List<CompletableFuture<Void>> fill = new ArrayList<>();
    for (int i = 0; i < StreamWriter.KNOWN_STREAMS + 10; i++) {
      String other = prefix + "-other-" + i;
      fill.add(
          OwnThread.runAsync(
              () -> a.save(StreamAppend.of(other, 0, TestEvents.batch(other, 0, 1)))));
      if (fill.size() == 64) {
        CompletableFuture.allOf(fill.toArray(new CompletableFuture<?>[0]))
            .get(60, TimeUnit.SECONDS);
        fill.clear();
      }
    }
    CompletableFuture.allOf(fill.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    parking.release.countDown();
    first.get(60, TimeUnit.SECONDS);
    a.awaitBackgroundWrites();
    inA.dispatch(deposit(id, 6)); // stale at 4: refused by the claim, retried
    inA2.dispatch(deposit(id, 7));
    inB.dispatch(deposit(id, 8));
    inA.dispatch(deposit(id, 9));
    inA.dispatch(deposit(id, 10));
    inA2.dispatch(x);
    a.awaitBackgroundWrites();
    b.awaitBackgroundWrites();

    verify(id, 128, 10);
  }

  /**
   * A delivery parked after its look-up (which found nothing) while its twin commits the effect
   * through a checked save and three more commits move it to a page (window 1); the parked one then
   * loads (catching up: its entry is newer than its look-up, so its save is ordinary) and must find
   * the command in its bucket. In the twin's own process (whose writer's memory of archive marks
   * its checked saves never refresh) and in another.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void a_delivery_parked_after_its_lookup_finds_its_twins_effect_in_a_command_bucket(
      boolean sameProcess) throws Exception {
    AtomicReference<Thread> parkThread = new AtomicReference<>();
    CountDownLatch parked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Runnable park =
        () -> {
          if (parkThread.compareAndSet(Thread.currentThread(), null)) {
            parked.countDown();
            await(release);
          }
        };
    CouchbaseEventStreamRepository a = store(1, null, null);
    CouchbaseEventStreamRepository b = store(1, null, null);
    CommandDispatchManager inA = path(a, park);
    CommandDispatchManager inB = path(b, park);
    CommandDispatchManager second = sameProcess ? inA : inB;
    String id = open(a, "bucket-" + sameProcess);
    for (int i = 0; i < 4; i++) {
      inA.dispatch(deposit(id, 10 + i)); // pages already; A's writer saw the mark once
      second.dispatch(deposit(id, 20 + i));
    }
    a.awaitBackgroundWrites();
    b.awaitBackgroundWrites();
    inA.dispatch(deposit(id, 30)); // A caches the latest version
    a.awaitBackgroundWrites();
    Command x = deposit(id, 100);
    CompletableFuture<Void> late =
        OwnThread.runAsync(
            () -> {
              parkThread.set(Thread.currentThread());
              dispatch(second, x);
            });
    await(parked);
    inA.dispatch(x); // the effect, through a checked save
    for (int i = 0; i < 3; i++) {
      inA.dispatch(deposit(id, 40 + i));
    }
    a.awaitBackgroundWrites();
    long version = a.version(id);
    awaitHeadArchived(id, version, 1);
    assertThat(head(id).path("a").path(0).asLong())
        .as("the effect moved to a page")
        .isGreaterThanOrEqualTo(version - 3);
    release.countDown();
    late.get(60, TimeUnit.SECONDS);
    a.awaitBackgroundWrites();
    b.awaitBackgroundWrites();

    verify(id, 1, (int) version);
  }

  /** Every effect once, loads from every version agreeing, the head and the log in order. */
  private void verify(String id, int window, int versions) throws Exception {
    try (CouchbaseEventStreamRepository fresh =
        CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
            .keyPrefix(prefix)
            .gapGracePeriod(SHORT_GRACE)
            .headWindow(window)
            .build()) {
      List<VersionedEvent> loaded = fresh.load(id, 1);
      Map<String, Integer> effects = new HashMap<>();
      for (VersionedEvent e : loaded) {
        effects.merge(e.causationId() == null ? "none" : e.causationId(), 1, Integer::sum);
      }
      assertThat(effects.values()).as("effects per command " + effects).allMatch(n -> n == 1);
      List<Long> versionsLoaded = loaded.stream().map(VersionedEvent::version).toList();
      List<Long> expected = new ArrayList<>();
      for (long v = 1; v <= versions; v++) {
        expected.add(v);
      }
      assertThat(versionsLoaded).isEqualTo(expected);
      for (long from = 2; from <= versions; from++) {
        assertThat(fresh.load(id, from))
            .extracting(VersionedEvent::version)
            .isEqualTo(expected.subList((int) from - 1, versions));
      }
      assertThat(
              wholeLog(fresh).stream()
                  .filter(logged -> logged.event().sourceId().equals(id))
                  .map(logged -> logged.event().version())
                  .toList())
          .as("the log's order")
          .isEqualTo(expected);
      assertThat(fresh.version(id)).isEqualTo(versions);
    }
    JsonNode head = head(id);
    assertThat(head.path("v").asLong()).as("head " + head).isEqualTo(versions);
    List<Long> lasts = headEntries(id);
    assertThat(lasts).as("head " + head).isNotEmpty().endsWith((long) versions);
    for (int i = 1; i < lasts.size(); i++) {
      assertThat(lasts.get(i)).as("head " + head).isEqualTo(lasts.get(i - 1) + 1);
    }
  }

  private static void dispatch(CommandDispatchManager path, Command command) {
    try {
      path.dispatch(command);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void await(CountDownLatch latch) {
    try {
      if (!latch.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The whole log: a read returns what precedes a write in flight, so read on to the end. */
  static List<io.cqrs.spi.LoggedEvent> wholeLog(CouchbaseEventStreamRepository store) {
    List<io.cqrs.spi.LoggedEvent> all = new ArrayList<>();
    long position = 1;
    while (true) {
      List<io.cqrs.spi.LoggedEvent> got = store.readLog(position, 100_000);
      if (got.isEmpty()) {
        return all;
      }
      all.addAll(got);
      position = got.get(got.size() - 1).position() + 1;
    }
  }
}
