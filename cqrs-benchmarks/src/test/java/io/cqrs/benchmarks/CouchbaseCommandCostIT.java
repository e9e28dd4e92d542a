package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, items 2 and 4: the KV operations of one handled command on Couchbase (CouchbaseMock in
 * this JVM), counted by the SDK's request tracer ({@link KvOperationCounter}) through the whole
 * command path: {@link CommandDispatchManager} with {@code deduplicate(true)}, an {@link
 * EventSourcingRepository} with a warm {@link AggregateCache} and an event bus, the store's save,
 * and the publication mark the repository makes once the bus has the events. And the sequential
 * round trips of one save.
 */
class CouchbaseCommandCostIT {
  private static final TypeRegistry REGISTRY = Histories.registry();
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static MockCouchbase couchbase;
  private static final String PREFIX = "cost-" + UUID.randomUUID().toString().substring(0, 8);
  private static CouchbaseEventStreamRepository store;
  private static InMemoryEventBus bus;
  private static CommandDispatchManager manager;

  @BeforeAll
  static void start() {
    couchbase = MockCouchbase.start(COUNTER);
    store =
        CouchbaseEventStreamRepository.builder(
                couchbase.collection(), new EventSerializer(REGISTRY))
            .keyPrefix(PREFIX)
            .build();
    bus = new InMemoryEventBus();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, REGISTRY)
            .cache(AggregateCache.maximumSize(1_000))
            .publisher(bus)
            .build();
    manager =
        CommandDispatchManager.builder(null, REGISTRY)
            .errorLog(store)
            .deduplicate(true)
            .build()
            .registerCommandHandler(
                Deposit.class,
                (deposit, command) -> {
                  BenchAccount account = repository.get(deposit.accountId(), BenchAccount::new);
                  account.deposit(deposit.amount());
                  repository.save(account, command);
                });
    COUNTER.enrol();
  }

  @AfterAll
  static void stop() {
    bus.close();
    store.close();
    couchbase.close();
  }

  private static String openAccount() {
    String id = "acc-" + UUID.randomUUID();
    store.save(
        StreamAppend.of(
                id, 0, Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), REGISTRY))
            .withAggregateType(TypeRegistry.logicalName(BenchAccount.class)));
    return id;
  }

  /**
   * Deduplication: an {@code exists} of the command's correlation index (missing for a new command
   * that starts its correlation, as {@link Command#create(Object)} makes it). Load, from the cache:
   * an {@code exists} of the claim after the cached version, which is missing. Save: the head
   * lookup (version, type, command, last commit) and the sequence increment; the index append and
   * the commit insert; the claim insert; the head mutation. Mark: an add to the claim, whose last
   * version the store knows because it has just written it. Nine in all; the issue asks for at most
   * six (see docs/couchbase.md, "KV operations per command").
   */
  @Test
  void a_command_on_a_warm_cache_costs_nine_kv_operations() throws Exception {
    String account = openAccount();
    manager.dispatch(Command.create(new Deposit(account, 1))); // loads the account into the cache
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();

    COUNTER.start(tally);
    try {
      manager.dispatch(Command.create(new Deposit(account, 1)));
    } finally {
      COUNTER.stop();
    }

    System.out.printf(
        "[CouchbaseCommandCostIT] one command on a warm cache: %d KV operations %s, %d round"
            + " trips%n",
        tally.operations(), new TreeMap<>(tally.byOperation()), tally.roundTrips());
    assertThat(tally.byOperation())
        .isEqualTo(
            Map.of(
                "exists", 2L,
                "lookup_in", 1L,
                "increment", 1L,
                "mutate_in", 3L,
                "insert", 2L));
    assertThat(tally.operations()).isEqualTo(9);
    assertThat(COUNTER.unattributed()).isZero();
    // The commands' events were marked published (the account was opened without a bus); the
    // mark is sent without waiting, so it lands after the dispatch returns.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(store.readLog(1, 1_000))
                    .filteredOn(logged -> logged.event().sourceId().equals(account))
                    .extracting(LoggedEvent::published)
                    .containsExactly(false, true, true));
    assertThat(store.load(account, 1))
        .extracting(VersionedEvent::version)
        .containsExactly(1L, 2L, 3L);
  }

  /**
   * A command that joins a correlation (as a process manager's steps do) looks up its earlier
   * outcome with one get of the correlation's index, however many commits other commands added to
   * the correlation: the index names each commit's cause, so none of theirs is read. Before causes
   * were indexed, each of them was (a get per commit, three more here).
   */
  @Test
  void a_command_joining_a_correlation_reads_its_index_and_none_of_its_commits() throws Exception {
    String account = openAccount();
    Command first = Command.create(new Deposit(account, 1));
    manager.dispatch(first);
    for (int i = 0; i < 2; i++) {
      manager.dispatch(Command.create(new Deposit(account, 1), first.correlationId()));
    }
    assertThat(store.eventsByCorrelationId(first.correlationId())).hasSize(3);
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();

    COUNTER.start(tally);
    try {
      manager.dispatch(Command.create(new Deposit(account, 1), first.correlationId()));
    } finally {
      COUNTER.stop();
    }

    System.out.printf(
        "[CouchbaseCommandCostIT] a command joining a correlation of 3 commits: %d KV operations"
            + " %s%n",
        tally.operations(), new TreeMap<>(tally.byOperation()));
    assertThat(tally.byOperation())
        .isEqualTo(
            Map.of(
                "get", 1L,
                "exists", 1L,
                "lookup_in", 1L,
                "increment", 1L,
                "mutate_in", 3L,
                "insert", 2L));
    assertThat(COUNTER.unattributed()).isZero();
    assertThat(store.eventsByCorrelationId(first.correlationId())).hasSize(4);
  }

  /**
   * The save waits for three round trips: the head lookup with the increment, the index append with
   * the commit insert, the claim insert. The head mutation is sent as the save returns and counts
   * as a fourth stretch of time with an operation in flight, which the saving thread does not wait
   * for. The counter sees time, not intent: if the increment's answer arrives before the lookup is
   * sent, that save waited one more.
   */
  @Test
  void a_save_waits_for_three_round_trips_and_not_for_the_head() {
    Map<Long, Integer> savesByStretches = new TreeMap<>();
    for (int i = 0; i < 20; i++) {
      String account = openAccount();
      KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
      List<VersionedEvent> second =
          Histories.envelopes(
                  account,
                  List.of(new AccountOpened(account, "bob"), new AccountOpened(account, "bob")),
                  REGISTRY)
              .subList(1, 2); // version 2
      COUNTER.start(tally);
      try {
        store.save(account, 1, second);
      } finally {
        COUNTER.stop();
      }
      assertThat(tally.operations()).isEqualTo(6);
      savesByStretches.merge(tally.roundTrips(), 1, Integer::sum);
    }
    assertThat(savesByStretches.keySet())
        .as("saves by stretches with an operation in flight: %s", savesByStretches)
        .isSubsetOf(4L, 5L)
        .contains(4L);
  }

  /**
   * The relay reads every commit of the log to find events nobody marked published. A commit this
   * process saved and marked (what the repository does after each publish) is known published as
   * soon as the mark has landed, so the relay's read of it costs no claim read: the counter's get
   * alone. (It read the claim once more before, one operation per command in a process that runs
   * the relay.)
   */
  @Test
  void the_relays_read_of_commits_this_process_marked_is_the_counter_alone() throws Exception {
    String account = openAccount();
    List<VersionedEvent> deposits =
        Histories.envelopes(
                account,
                List.of(
                    new AccountOpened(account, "bob"),
                    new AccountOpened(account, "bob"),
                    new AccountOpened(account, "bob")),
                REGISTRY)
            .subList(1, 3); // versions 2 and 3, two commits
    store.save(account, 1, deposits.subList(0, 1));
    store.save(account, 2, deposits.subList(1, 2));
    store.markPublishedAsync(account, 2, 2).toCompletableFuture().get();
    store.markPublishedAsync(account, 3, 3).toCompletableFuture().get();
    // Found by another process's repository: a read by this one would see the marks in the claims
    // and keep them, which is not what is measured.
    long from;
    try (CouchbaseEventStreamRepository other =
        CouchbaseEventStreamRepository.builder(
                couchbase.collection(), new EventSerializer(REGISTRY))
            .keyPrefix(PREFIX)
            .build()) {
      from =
          other.readLog(1, 100_000).stream()
              .filter(logged -> logged.event().sourceId().equals(account))
              .filter(logged -> logged.event().version() == 2)
              .findFirst()
              .orElseThrow()
              .position();
    }
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();

    COUNTER.start(tally);
    List<LoggedEvent> read;
    try {
      read = store.readLog(from, 1_000);
    } finally {
      COUNTER.stop();
    }

    assertThat(read)
        .extracting(logged -> logged.event().version(), LoggedEvent::published)
        .containsExactly(tuple(2L, true), tuple(3L, true));
    assertThat(tally.byOperation()).isEqualTo(Map.of("get", 1L));
    assertThat(COUNTER.unattributed()).isZero();
  }
}
