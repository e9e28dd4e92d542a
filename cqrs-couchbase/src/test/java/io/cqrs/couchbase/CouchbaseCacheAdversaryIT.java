package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.ConcurrencyException;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.testing.OwnThread;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An adversary's attacks on the aggregate cache over CouchbaseMock: two processes (two stores and
 * two repositories, each with its own cache) over one bucket, one of them holding a version the
 * other's head has long moved to pages.
 */
class CouchbaseCacheAdversaryIT extends RepositoryIT {
  private static final TypeRegistry REGISTRY =
      new TypeRegistry()
          .registerAggregate(Account.class, TestEvents.Deposited.class)
          .registerCommands(Deposit.class);

  record Deposit(String accountId, long amount) {}

  private final CouchbaseEventStreamRepository a = store(4);
  private final CouchbaseEventStreamRepository b = store(4);

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  private CouchbaseEventStreamRepository store(int headWindow) {
    return CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE)
        .headWindow(headWindow)
        .build();
  }

  private static EventSourcingRepository cached(CouchbaseEventStreamRepository store) {
    return EventSourcingRepository.builder(store, REGISTRY)
        .snapshotPolicy(SnapshotPolicy.every(3))
        .cache(AggregateCache.maximumSize(100))
        .build();
  }

  /**
   * A caches version 2; B commits 40 more (its head moves them to pages); A's cached load must read
   * all of them, its stale save must conflict and write nothing, and its save after a reload must
   * land after B's.
   */
  @Test
  void a_cache_behind_a_head_that_moved_to_pages_reads_every_commit_and_never_overwrites()
      throws Exception {
    EventSourcingRepository inA = cached(a);
    EventSourcingRepository inB = cached(b);
    String id = prefix + "-acc";
    Account opened = new Account(id);
    opened.deposit(1);
    opened.deposit(2);
    inA.save(opened, "open");
    Account stale = inA.get(id, Account::new); // A holds version 2
    for (int i = 0; i < 20; i++) {
      Account theirs = inB.get(id, Account::new);
      theirs.deposit(10);
      theirs.deposit(10);
      inB.save(theirs, "b-" + i);
    }
    b.awaitBackgroundWrites();
    awaitHeadArchived(id, 42, 4);
    stale.deposit(1000);

    assertThatThrownBy(() -> inA.save(stale, "a-stale")).isInstanceOf(ConcurrencyException.class);
    Account fresh = inA.get(id, Account::new);
    assertThat(fresh.version()).isEqualTo(42);
    assertThat(fresh.balance()).isEqualTo(403);
    fresh.deposit(1000);
    inA.save(fresh, "a-fresh");
    a.awaitBackgroundWrites();

    List<VersionedEvent> events = b.load(id, 1);
    assertThat(events).extracting(VersionedEvent::version).hasSize(43).doesNotHaveDuplicates();
    assertThat(events.get(42).version()).isEqualTo(43);
    assertThat(inB.get(id, Account::new).balance()).isEqualTo(1403);
    assertThat(
            b.readLog(1, 100_000).stream()
                .filter(logged -> logged.event().sourceId().equals(id))
                .count())
        .isEqualTo(43);
  }

  /**
   * One command delivered to both processes, the slow one parked after its load from an entry its
   * twin then makes stale, with checked saves and deferred cache checks: one effect.
   */
  @Test
  void a_duplicate_parked_after_its_deferred_load_takes_effect_once() throws Exception {
    CountDownLatch parked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean armed = new AtomicBoolean();
    CommandDispatchManager slow =
        commandPath(
            cached(a),
            () -> {
              if (armed.get() && parked.getCount() > 0) {
                parked.countDown();
                await(release);
              }
            });
    CommandDispatchManager fast = commandPath(cached(b), () -> {});
    String id = prefix + "-dup";
    Account opened = new Account(id);
    opened.deposit(1);
    cached(a).save(opened, "open");
    a.awaitBackgroundWrites();
    slow.dispatch(Command.create(new Deposit(id, 2))); // A caches version 2
    fast.dispatch(Command.create(new Deposit(id, 3))); // B caches version 3: A's entry is stale
    Command twice = Command.create(new Deposit(id, 100));
    armed.set(true);

    CompletableFuture<Void> first = OwnThread.runAsync(() -> dispatch(slow, twice));
    await(parked);
    fast.dispatch(twice);
    release.countDown();
    first.get(60, TimeUnit.SECONDS);
    a.awaitBackgroundWrites();
    b.awaitBackgroundWrites();

    assertThat(b.load(id, 1).stream().filter(e -> twice.messageId().equals(e.causationId())))
        .hasSize(1);
    assertThat(cached(b).get(id, Account::new).balance()).isEqualTo(106);
  }

  /** Ids equal but for case or Unicode normalization are distinct streams, cached apart. */
  @Test
  void ids_equal_but_for_case_or_normalization_stay_apart() {
    EventSourcingRepository inA = cached(a);
    EventSourcingRepository inB = cached(b);
    List<String> ids =
        List.of("\u00e9", "e\u0301", "\u00c9", "\u212b", "\u00c5").stream()
            .map(s -> prefix + "-" + s)
            .toList();
    for (int i = 0; i < ids.size(); i++) {
      Account account = new Account(ids.get(i));
      account.deposit(i + 1);
      inA.save(account, "c");
      inA.get(ids.get(i), Account::new);
    }
    for (int i = 0; i < ids.size(); i++) {
      Account theirs = inB.get(ids.get(i), Account::new);
      theirs.deposit(100);
      inB.save(theirs, "c");
    }
    for (int i = 0; i < ids.size(); i++) {
      Account account = inA.get(ids.get(i), Account::new);
      assertThat(account.version()).isEqualTo(2);
      assertThat(account.balance()).isEqualTo(i + 101);
    }
  }

  private CommandDispatchManager commandPath(EventSourcingRepository repository, Runnable parkAt) {
    return CommandDispatchManager.builder(null, REGISTRY)
        .errorLog(repository.store())
        .deduplicate(true)
        .lookupProvesEffects(true)
        .deferCacheChecks(true)
        .build()
        .registerCommandHandler(
            Deposit.class,
            (deposit, command) -> {
              Account account = repository.get(deposit.accountId(), Account::new);
              parkAt.run();
              account.deposit(deposit.amount());
              repository.save(account, command);
            });
  }

  private static void dispatch(CommandDispatchManager manager, Command command) {
    try {
      manager.dispatch(command);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
