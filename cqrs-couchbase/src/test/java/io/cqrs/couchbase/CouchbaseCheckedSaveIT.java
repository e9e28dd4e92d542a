package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.OwnThread;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A command handled with deduplication on a cached aggregate is saved without the store's head
 * lookup: the look-up before the handler and the cache prove what it checked (docs/couchbase.md,
 * "Saves a command has checked"). These tests race deliveries of one command so that the proof
 * would be wrong if it were taken from the wrong cache entry or load, and tamper with the head the
 * writer remembers: no command may take effect twice, and the head must stay right.
 */
class CouchbaseCheckedSaveIT extends RepositoryIT {
  private static final TypeRegistry REGISTRY =
      new TypeRegistry()
          .registerAggregate(Account.class, TestEvents.Deposited.class)
          .registerCommands(Deposit.class);

  record Deposit(String accountId, long amount) {}

  /** A writer's death at a step: an error, which nothing in the command path catches. */
  private static final class Died extends Error {
    Died(StreamWriter.Step step) {
      super("the writer died at " + step);
    }
  }

  /** How many saves of {@link #a} read the head in round trip 1: ordinary, not checked. */
  private final AtomicInteger headLookups = new AtomicInteger();

  /** Where the next save of {@link #a} dies, if anywhere. */
  private final AtomicReference<StreamWriter.Step> dieAt = new AtomicReference<>();

  private final CouchbaseEventStreamRepository a =
      CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
          .keyPrefix(prefix)
          .gapGracePeriod(SHORT_GRACE)
          .saveHook(
              step -> {
                if (step == StreamWriter.Step.SEQUENCE_ASKED) {
                  headLookups.incrementAndGet(); // an ordinary save's round trip 1
                }
                if (dieAt.compareAndSet(step, null)) {
                  throw new Died(step);
                }
              })
          .build();
  private final CouchbaseEventStreamRepository b = store();

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  private CouchbaseEventStreamRepository store() {
    return CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE)
        .build();
  }

  /**
   * A command path of one process over {@code store}: deduplication, a cache, and a handler that
   * runs {@code beforeLoad} first.
   */
  private static CommandDispatchManager commandPath(
      CouchbaseEventStreamRepository store, Runnable beforeLoad) {
    return commandPath(store, beforeLoad, true);
  }

  private static CommandDispatchManager commandPath(
      CouchbaseEventStreamRepository store, Runnable beforeLoad, boolean lookupProvesEffects) {
    return commandPath(store, beforeLoad, lookupProvesEffects, false);
  }

  private static CommandDispatchManager commandPath(
      CouchbaseEventStreamRepository store,
      Runnable beforeLoad,
      boolean lookupProvesEffects,
      boolean deferCacheChecks) {
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, REGISTRY)
            .cache(AggregateCache.maximumSize(100))
            .build();
    return CommandDispatchManager.builder(null, REGISTRY)
        .errorLog(store)
        .deduplicate(true)
        .lookupProvesEffects(lookupProvesEffects)
        .deferCacheChecks(deferCacheChecks)
        .build()
        .registerCommandHandler(
            Deposit.class,
            (deposit, command) -> {
              beforeLoad.run();
              Account account = repository.get(deposit.accountId(), Account::new);
              account.deposit(deposit.amount());
              repository.save(account, command);
            });
  }

  private String openAccount(CommandDispatchManager path) throws Exception {
    String id = prefix + "-acc";
    a.save(
        StreamAppend.of(id, 0, TestEvents.batch(id, 0, 1))
            .withAggregateType(TypeRegistry.logicalName(Account.class)));
    path.dispatch(Command.create(new Deposit(id, 1))); // loads it into the cache, moves the head
    a.awaitBackgroundWrites();
    return id;
  }

  /**
   * With {@code deferCacheChecks}, a load from the cache asks the store nothing, so a save on an
   * entry another process made stale goes out checked, without its head lookup: its claim must be
   * what refuses it. The refused commit must leave nothing a reader sees (its document abandoned,
   * its index entry filtered), and the retry must save on the stream's state, once.
   */
  @Test
  void a_checked_save_on_an_entry_another_process_made_stale_is_refused_by_its_claim()
      throws Exception {
    CommandDispatchManager here = commandPath(a, () -> {}, true, true);
    String id = openAccount(here); // cached here at version 2
    commandPath(b, () -> {}, true, true).dispatch(Command.create(new Deposit(id, 10))); // v3
    b.awaitBackgroundWrites();
    headLookups.set(0);
    Command deposit = Command.create(new Deposit(id, 100));

    here.dispatch(deposit);
    a.awaitBackgroundWrites();

    // The first attempt's save was checked (no head lookup) and lost to the claim at version 3;
    // the retry read the stream and saved ordinarily, after it.
    assertThat(headLookups.get()).isEqualTo(1);
    assertThat(b.load(id, 1)).extracting(VersionedEvent::version).containsExactly(1L, 2L, 3L, 4L);
    assertThat(b.load(id, 4))
        .singleElement()
        .satisfies(e -> assertThat(e.causationId()).isEqualTo(deposit.messageId()));
    assertThat(b.eventsByCorrelationId(deposit.correlationId()))
        .singleElement()
        .extracting(VersionedEvent::version)
        .isEqualTo(4L);
    assertThat(
            b.readLog(1, 100_000).stream()
                .filter(logged -> logged.event().sourceId().equals(id))
                .map(logged -> logged.event().version())
                .toList())
        .containsExactly(1L, 2L, 3L, 4L);
  }

  /**
   * Two deliveries of one command in one process: the second looks its effects up (none yet), then
   * the first runs whole, saving through the checked path and caching the aggregate after its
   * effect; then the second loads that entry, made after its look-up. Its look-up does not cover
   * the first's commit, so its save must check the head's commands, and find its command there.
   */
  @Test
  void a_delivery_whose_lookup_came_before_the_cached_effect_of_its_twin_is_refused()
      throws Exception {
    CountDownLatch secondLookedUp = new CountDownLatch(1);
    CountDownLatch firstDone = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    CommandDispatchManager path =
        commandPath(
            a,
            () -> {
              if (handled.incrementAndGet() == 2) { // the second delivery (after the set-up's)
                secondLookedUp.countDown();
                await(firstDone);
              }
            });
    String account = openAccount(path);
    Command twice = Command.create(new Deposit(account, 100));

    CompletableFuture<Void> second = OwnThread.runAsync(() -> dispatch(path, twice));
    await(secondLookedUp);
    dispatch(path, twice);
    a.awaitBackgroundWrites(); // the writer knows where its head update left the head
    firstDone.countDown();
    second.get(60, TimeUnit.SECONDS);

    assertThat(deposits(account)).containsExactly(1L, 1L, 100L);
  }

  /**
   * The same race across two processes: the second delivery's process has the aggregate cached from
   * before, looks up (none), then the first process commits the effect through a checked save; the
   * second's load finds that commit after its cached version, so nothing proves its save (it is an
   * ordinary one), whose check finds the command.
   */
  @Test
  void a_delivery_in_another_process_finds_its_twins_effect_after_its_cached_version()
      throws Exception {
    CountDownLatch secondLookedUp = new CountDownLatch(1);
    CountDownLatch firstDone = new CountDownLatch(1);
    AtomicInteger handledInB = new AtomicInteger();
    CommandDispatchManager inA = commandPath(a, () -> {});
    CommandDispatchManager inB =
        commandPath(
            b,
            () -> {
              if (handledInB.incrementAndGet() == 2) {
                secondLookedUp.countDown();
                await(firstDone);
              }
            });
    String account = openAccount(inA);
    inB.dispatch(Command.create(new Deposit(account, 2))); // B caches the account
    inA.dispatch(Command.create(new Deposit(account, 3))); // A loads B's deposit, caches it
    a.awaitBackgroundWrites();
    Command twice = Command.create(new Deposit(account, 100));

    CompletableFuture<Void> second = OwnThread.runAsync(() -> dispatch(inB, twice));
    await(secondLookedUp);
    inA.dispatch(twice);
    firstDone.countDown();
    second.get(60, TimeUnit.SECONDS);

    assertThat(deposits(account)).containsExactly(1L, 1L, 2L, 3L, 100L);
  }

  /**
   * A client that sends a message id again under another correlation id (the rule {@code
   * lookupProvesEffects} needs, broken): the second delivery's look-up reads the other correlation
   * and finds nothing, so with the option off its save is an ordinary one and the store's check of
   * the command refuses the second effect.
   */
  @Test
  void a_message_id_sent_again_in_another_correlation_takes_effect_once_without_the_option()
      throws Exception {
    CommandDispatchManager path = commandPath(a, () -> {}, false);
    String account = openAccount(path);
    Command first =
        Command.builder(new Deposit(account, 100))
            .messageId("pay-42")
            .correlationId("request-1")
            .build();
    Command again = Command.builder(new Deposit(account, 100)).messageId("pay-42").build();

    path.dispatch(first);
    a.awaitBackgroundWrites();
    path.dispatch(again);

    assertThat(deposits(account)).containsExactly(1L, 1L, 100L);
  }

  /**
   * The head changed under the CAS the writer remembers, without moving (as an archive by another
   * process, or an operator's repair, would change it): the checked save's head update is refused,
   * reads the head again and appends exactly its own commit.
   */
  @Test
  void a_head_changed_behind_the_writer_is_updated_again_and_lists_every_commit_once()
      throws Exception {
    CommandDispatchManager path = commandPath(a, () -> {});
    String account = openAccount(path);
    String head = raw(keys.head(account)).orElseThrow();
    writeRaw(keys.head(account), head); // same content, new CAS

    path.dispatch(Command.create(new Deposit(account, 5)));
    a.awaitBackgroundWrites();

    JsonNode moved = head(account);
    assertThat(moved.path("v").asLong()).isEqualTo(3);
    assertThat(moved.path("c")).hasSize(3);
    assertThat(moved.path("c").get(2).get(0).asLong()).isEqualTo(3);
    try (CouchbaseEventStreamRepository fresh = store()) {
      assertThat(fresh.load(account))
          .extracting(VersionedEvent::version)
          .containsExactly(1L, 2L, 3L);
    }
  }

  /**
   * Checked saves back to back, each head update chained on the one before still on its way, then
   * the head gone (as if a head update had failed, or its first insert never landed): the next
   * checked saves read the head and the claims past it and put every commit back, in order, with
   * the stream's type, none of them reading the head before it commits.
   */
  @Test
  void checked_saves_chain_their_head_updates_and_repair_a_head_left_behind() throws Exception {
    CommandDispatchManager path = commandPath(a, () -> {});
    String account = openAccount(path);
    headLookups.set(0);
    List<Long> deposited = new java.util.ArrayList<>(List.of(1L, 1L));

    for (long amount = 10; amount < 40; amount++) {
      path.dispatch(Command.create(new Deposit(account, amount)));
      deposited.add(amount);
    }
    a.awaitBackgroundWrites();
    assertThat(headEntries(account)).hasSize(32).endsWith(32L);

    // The repair walks the 32 claims from the start, one read at a time, while the commands after
    // it commit theirs: it must stop at its own commit, which the later saves' updates expect.
    collection.remove(keys.head(account));
    for (long amount = 40; amount < 44; amount++) {
      path.dispatch(Command.create(new Deposit(account, amount)));
      deposited.add(amount);
    }
    a.awaitBackgroundWrites();

    assertThat(headLookups.get()).as("saves that read the head first").isZero();
    List<Long> versions = new java.util.ArrayList<>();
    for (long version = 1; version <= 36; version++) {
      versions.add(version);
    }
    assertThat(headEntries(account)).isEqualTo(versions);
    JsonNode head = head(account);
    assertThat(head.path("v").asLong()).isEqualTo(36);
    assertThat(head.path("t").asText()).isEqualTo(TypeRegistry.logicalName(Account.class));
    assertThat(deposits(account)).isEqualTo(deposited);
    try (CouchbaseEventStreamRepository fresh = store()) {
      assertThat(fresh.load(account, 1)).hasSize(36); // reads the whole head
    }
  }

  /**
   * A checked save skips the head lookup, not the exclusive claim: where another process committed
   * the expected version's successor since, the save is refused as a conflict, or as a duplicate if
   * that commit was its command's effect, and its commit document is abandoned.
   */
  @Test
  void a_checked_save_of_a_version_another_writer_took_is_refused() throws Exception {
    for (String command : List.of("command-a", "command-b")) {
      String account = prefix + "-taken-" + command;
      a.save(account, 0, TestEvents.batch(account, 0, 1), "command-0");
      a.awaitBackgroundWrites(); // a knows where its update left the head: at version 1
      b.save(account, 1, TestEvents.batch(account, 1, 1), "command-b");

      assertThatThrownBy(
              () ->
                  a.saveChecked(
                      StreamAppend.of(account, 1, TestEvents.batch(account, 1, 1))
                          .withCommandId(command)))
          .isInstanceOf(
              command.equals("command-b")
                  ? DuplicateCommandException.class
                  : ConcurrencyException.class);

      assertThat(deposits(account)).containsExactly(1L, 2L);
      a.saveChecked(StreamAppend.of(account, 2, TestEvents.batch(account, 2, 1)));
      assertThat(deposits(account)).containsExactly(1L, 2L, 3L);
    }
    assertThat(a.readLog(1, 100))
        .extracting(logged -> logged.event().version())
        .containsExactly(1L, 2L, 3L, 1L, 2L, 3L);
  }

  /**
   * A checked save whose writer dies after one of its writes, then the command delivered again: the
   * writes are those of any save, in the same order, so what it leaves is completed or ignored as
   * for them (docs/couchbase.md, "Crash analysis"), and the command takes effect once.
   */
  @ParameterizedTest
  @EnumSource(
      value = StreamWriter.Step.class,
      names = {"CHECKED", "STORED", "CLAIMED"})
  void a_checked_save_that_dies_between_two_writes_leaves_one_effect(StreamWriter.Step step)
      throws Exception {
    CommandDispatchManager path = commandPath(a, () -> {});
    String account = openAccount(path);
    Command command = Command.create(new Deposit(account, 100));

    headLookups.set(0);
    dieAt.set(step);
    try {
      path.dispatch(command);
    } catch (Died e) {
      // nothing after the step runs, not even the dispatch manager's record of a failure
    }
    assertThat(dieAt.get()).as("the checked save reached " + step).isNull();
    assertThat(headLookups.get()).as("head lookups of the checked save").isZero();
    path.dispatch(command); // delivered again
    path.dispatch(command);

    assertThat(deposits(account)).containsExactly(1L, 1L, 100L);
  }

  /** The amounts deposited on {@code account}, in version order, as a fresh process loads them. */
  private List<Long> deposits(String account) {
    try (CouchbaseEventStreamRepository fresh = store()) {
      return fresh.load(account).stream()
          .map(event -> event.eventAs(TestEvents.Deposited.class).amount())
          .toList();
    }
  }

  private static void dispatch(CommandDispatchManager path, Command command) {
    try {
      path.dispatch(command);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
