package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.Collection;
import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.couchbase.testing.KvOperationCounter;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, items 2 and 4: the KV operations of one handled command on Couchbase, counted by the
 * SDK's request tracer ({@link KvOperationCounter}) through the whole command path: {@link
 * CommandDispatchManager} with {@code deduplicate(true)}, an {@link EventSourcingRepository} with a
 * warm {@link AggregateCache} and an event bus, the store's save, and the publication mark the
 * repository makes once the bus has the events. The counts are exact, so that an operation added
 * anywhere on the path fails the build (docs/couchbase.md, "KV operations per command"). The
 * sequential round trips of a save, which depend on timing, are counted in cqrs-benchmarks ({@code
 * CouchbaseSaveRoundTripsIT}).
 */
class CouchbaseCommandCostIT {
  private static final TypeRegistry REGISTRY =
      new TypeRegistry()
          .registerAggregate(Account.class, TestEvents.Deposited.class)
          .registerCommands(Deposit.class);
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static final CouchbaseTestServer SERVER = CouchbaseTestServer.shared();
  private static final String PREFIX = SERVER.newKeyPrefix();
  private static Cluster cluster;
  private static Collection collection;
  private static CouchbaseEventStreamRepository store;
  private static InMemoryEventBus bus;
  private static CommandDispatchManager manager;

  record Deposit(String accountId, long amount) {}

  @BeforeAll
  static void start() {
    // A connection of its own, with the counter as its request tracer.
    cluster = SERVER.connect(env -> env.requestTracer(COUNTER));
    collection = cluster.bucket(SERVER.bucketName()).defaultCollection();
    store =
        CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
            .keyPrefix(PREFIX)
            .build();
    bus = new InMemoryEventBus();
    manager = commandPath(store, bus);
    COUNTER.enrol();
  }

  /**
   * Two deposits on {@code account} through {@code path}: the first loads it into the cache, the
   * second is counted.
   */
  private static KvOperationCounter.Tally secondDeposit(
      CommandDispatchManager path, CouchbaseEventStreamRepository store, String account)
      throws Exception {
    path.dispatch(Command.create(new Deposit(account, 1)));
    store.awaitBackgroundWrites(); // the head update the second save's store relies on
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
    COUNTER.start(tally);
    try {
      path.dispatch(Command.create(new Deposit(account, 1)));
    } finally {
      COUNTER.stop();
    }
    return tally;
  }

  /**
   * The command path counted: {@link CommandDispatchManager} with {@code deduplicate(true)} and
   * {@code lookupProvesEffects(true)} over a repository with a warm cache, publishing to {@code
   * bus}.
   */
  private static CommandDispatchManager commandPath(
      CouchbaseEventStreamRepository store, InMemoryEventBus bus) {
    return commandPath(store, bus, false);
  }

  /** The same, with {@code deferCacheChecks(defer)}. */
  private static CommandDispatchManager commandPath(
      CouchbaseEventStreamRepository store, InMemoryEventBus bus, boolean defer) {
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, REGISTRY)
            .cache(AggregateCache.maximumSize(1_000))
            .publisher(bus)
            .build();
    return CommandDispatchManager.builder(null, REGISTRY)
        .errorLog(store)
        .deduplicate(true)
        .lookupProvesEffects(true)
        .deferCacheChecks(defer)
        .build()
        .registerCommandHandler(
            Deposit.class,
            (deposit, command) -> {
              Account account = repository.get(deposit.accountId(), Account::new);
              account.deposit(deposit.amount());
              repository.save(account, command);
            });
  }

  @AfterAll
  static void stop() {
    bus.close();
    store.close();
    cluster.disconnect();
  }

  /** Version 1 of a new account, saved without a bus: not published. */
  private static String openAccount() {
    String id = "acc-" + UUID.randomUUID();
    store.save(
        StreamAppend.of(id, 0, TestEvents.batch(id, 0, 1))
            .withAggregateType(TypeRegistry.logicalName(Account.class)));
    return id;
  }

  /**
   * Deduplication: an {@code exists} of the command's correlation index (missing for a new command
   * that starts its correlation, as {@link Command#create(Object)} makes it). Load, from the cache:
   * an {@code exists} of the claim after the cached version, which is missing. Save: the sequence
   * increment (the look-up and the cache proved what the head lookup would check, and the writer
   * knows where its last update left the head); the index append and the commit insert; the claim
   * insert; the head mutation. Mark: an add to the claim, whose last version the store knows
   * because it has just written it. Eight in all; the issue asks for at most six (see
   * docs/couchbase.md, "KV operations per command").
   */
  @Test
  void a_command_on_a_warm_cache_costs_eight_kv_operations() throws Exception {
    String account = openAccount();
    KvOperationCounter.Tally tally = secondDeposit(manager, store, account);

    System.out.printf(
        "[CouchbaseCommandCostIT] one command on a warm cache: %d KV operations %s, %d round"
            + " trips%n",
        tally.operations(), new TreeMap<>(tally.byOperation()), tally.roundTrips());
    assertThat(tally.byOperation())
        .isEqualTo(
            Map.of(
                "exists", 2L,
                "increment", 1L,
                "mutate_in", 3L,
                "insert", 2L));
    assertThat(tally.operations()).isEqualTo(8);
    assertThat(COUNTER.unattributed()).isZero();
    // The commands' events were marked published (the account was opened without a bus); the
    // mark is sent without waiting, so it lands after the dispatch returns.
    Await.until(
        "the two deposits marked published",
        () ->
            store.readLog(1, 1_000).stream()
                .filter(logged -> logged.event().sourceId().equals(account))
                .map(LoggedEvent::published)
                .toList()
                .equals(List.of(false, true, true)));
    assertThat(store.load(account, 1))
        .extracting(VersionedEvent::version)
        .containsExactly(1L, 2L, 3L);
  }

  /**
   * In the process whose relay holds the lease, the mark is not written: the relay learns in memory
   * that the repository published the commit (docs/couchbase-relay.md, "Marks a leading relay's
   * process keeps"). Seven operations.
   */
  @Test
  void a_command_in_the_process_of_the_leading_relay_costs_seven_kv_operations() throws Exception {
    WhereTheRelayLeads leading = secondDepositWhereTheRelayLeads("cost", false);

    System.out.printf(
        "[CouchbaseCommandCostIT] one command on a warm cache, its relay leading: %d KV"
            + " operations %s%n",
        leading.tally().operations(), new TreeMap<>(leading.tally().byOperation()));
    assertThat(leading.tally().byOperation())
        .isEqualTo(Map.of("exists", 2L, "increment", 1L, "mutate_in", 2L, "insert", 2L));
    assertThat(leading.tally().operations()).isEqualTo(7);
    assertThat(COUNTER.unattributed()).isZero();
    assertThat(leading.published()).containsExactly(false, true, true);
  }

  /** A second deposit counted in a process whose relay holds the lease; its events' marks after. */
  private record WhereTheRelayLeads(KvOperationCounter.Tally tally, List<Boolean> published) {}

  private static WhereTheRelayLeads secondDepositWhereTheRelayLeads(String owner, boolean defer)
      throws Exception {
    try (CouchbaseEventStreamRepository leading =
            CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
                .keyPrefix(PREFIX)
                .build();
        InMemoryEventBus events = new InMemoryEventBus();
        EventRelay relay =
            EventRelay.builder(leading, events)
                .owner(owner)
                .leaseTtl(Duration.ofMinutes(5))
                .grace(Duration.ofMinutes(5))
                .build()) {
      CommandDispatchManager path = commandPath(leading, events, defer);
      relay.publishPending(); // takes the lease; no thread renews it while counted
      assertThat(relay.isLeader()).isTrue();
      String account = openAccount();
      KvOperationCounter.Tally tally = secondDeposit(path, leading, account);
      return new WhereTheRelayLeads(
          tally,
          leading.readLog(1, 100_000).stream()
              .filter(logged -> logged.event().sourceId().equals(account))
              .map(LoggedEvent::published)
              .toList());
    }
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
    store.awaitBackgroundWrites();
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
                "increment", 1L,
                "mutate_in", 3L,
                "insert", 2L));
    assertThat(COUNTER.unattributed()).isZero();
    assertThat(store.eventsByCorrelationId(first.correlationId())).hasSize(4);
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
    List<VersionedEvent> deposits = TestEvents.batch(account, 1, 2); // versions 2 and 3
    store.save(account, 1, deposits.subList(0, 1));
    store.save(account, 2, deposits.subList(1, 2));
    store.markPublishedAsync(account, 2, 2).toCompletableFuture().get();
    store.markPublishedAsync(account, 3, 3).toCompletableFuture().get();
    // Found by another process's repository: a read by this one would see the marks in the claims
    // and keep them, which is not what is measured.
    long from;
    try (CouchbaseEventStreamRepository other =
        CouchbaseEventStreamRepository.builder(collection, new EventSerializer(REGISTRY))
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

  /**
   * With {@code deferCacheChecks(true)} the load from the cache asks the store nothing: the save's
   * claim is its check. Seven operations; six in the process whose relay leads, the target.
   */
  @Test
  void
      a_command_that_defers_its_cache_check_costs_seven_kv_operations_and_six_where_the_relay_leads()
          throws Exception {
    KvOperationCounter.Tally elsewhere =
        secondDeposit(commandPath(store, bus, true), store, openAccount());
    KvOperationCounter.Tally leading =
        secondDepositWhereTheRelayLeads("cost-deferred", true).tally();

    System.out.printf(
        "[CouchbaseCommandCostIT] one command on a warm cache, its check deferred: %d KV"
            + " operations %s; %d where its relay leads %s%n",
        elsewhere.operations(),
        new TreeMap<>(elsewhere.byOperation()),
        leading.operations(),
        new TreeMap<>(leading.byOperation()));
    assertThat(elsewhere.byOperation())
        .isEqualTo(Map.of("exists", 1L, "increment", 1L, "mutate_in", 3L, "insert", 2L));
    assertThat(leading.byOperation())
        .isEqualTo(Map.of("exists", 1L, "increment", 1L, "mutate_in", 2L, "insert", 2L));
    assertThat(leading.operations()).isEqualTo(6);
    assertThat(COUNTER.unattributed()).isZero();
  }
}
