package io.cqrs.example.bank;

import com.couchbase.client.java.Collection;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.CouchbaseViewStores;
import io.cqrs.example.bank.readmodel.ViewStores;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * One test's bank on the integration-test servers, wired by hand so that the test decides who
 * publishes: the Couchbase store and the read models' CAS-written view documents under one fresh
 * prefix ({@link CouchbaseTestServer}), and RabbitMQ buses under the same prefix ({@link
 * RabbitNamespace}). Closing it closes the buses and deletes the queues and exchanges they
 * declared.
 *
 * <p>It also judges the read models: {@link #differences} compares them with a fold of the event
 * store, view by view, version by version, and counts how often each event was applied.
 */
final class BankOnServers implements AutoCloseable {
  /**
   * How often conditions that read the servers are checked while awaited ({@code
   * Await.await(...).pollInterval(POLL)}): not every few milliseconds, which would load the shared
   * servers.
   */
  static final Duration POLL = Duration.ofMillis(100);

  /** A password hash for the accounts tests open. */
  static final String HASH = new PasswordHasher(1_000).hash("$ThisIsAPassword");

  private final RabbitNamespace rabbit;
  private final Collection collection;
  private final TypeRegistry types = BankTypes.registry();
  private final EventSerializer serializer = new EventSerializer(types);
  private final CouchbaseEventStreamRepository store;
  private final EventSourcingRepository unpublished;

  private BankOnServers(RabbitNamespace rabbit, CouchbaseTestServer couchbase) {
    this.rabbit = rabbit;
    this.collection = couchbase.collection();
    this.store = newStore();
    // No publisher: commits stay unmarked, as if every writer died before publishing.
    this.unpublished =
        EventSourcingRepository.builder(store, types)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
  }

  /**
   * A bank under a new prefix starting with {@code hint}. Skips the test without a broker, or fails
   * it when {@code CQRS_REQUIRE_SERVERS=true}.
   */
  static BankOnServers start(String hint) {
    RabbitNamespace rabbit = RabbitTestBroker.get().newNamespace(hint);
    return new BankOnServers(rabbit, CouchbaseTestServer.shared());
  }

  /** The Couchbase key prefix and RabbitMQ name prefix of this bank. */
  String prefix() {
    return rabbit.prefix();
  }

  TypeRegistry types() {
    return types;
  }

  /** The event store. */
  CouchbaseEventStreamRepository store() {
    return store;
  }

  /** Another repository on the same documents, as another process has its own. */
  CouchbaseEventStreamRepository newStore() {
    return CouchbaseEventStreamRepository.builder(collection, serializer)
        .keyPrefix(prefix())
        .build();
  }

  /** A new event bus (its own connection) under the prefix, closed with this bank. */
  RabbitEventBus newEventBus() {
    return rabbit.eventBus(serializer);
  }

  /** A new command bus under the prefix, closed with this bank. */
  RabbitCommandBus newCommandBus() {
    return rabbit.commandBus(serializer);
  }

  /** Counted Couchbase view documents under {@code prefix() + suffix}. */
  CountingViewStores views(String suffix) {
    return new CountingViewStores(new CouchbaseViewStores(collection, prefix() + suffix));
  }

  /**
   * Commits {@code commits} more commits to an account, opening it first if it has no events: one
   * or two credits, debits or email changes each, with random amounts. Nothing is published.
   */
  void writeHistory(String accountId, int commits, Random random) {
    Account account;
    if (store.version(accountId) == 0) {
      String name = accountId.substring(0, 4);
      account =
          Account.open(
              accountId,
              "Owner",
              "Of " + name,
              name + "@bank.example",
              HASH,
              new BigDecimal("100.00"));
      unpublished.save(account, accountId);
    } else {
      account = unpublished.get(accountId, Account::new);
    }
    for (int i = 0; i < commits; i++) {
      int events = 1 + random.nextInt(2);
      for (int e = 0; e < events; e++) {
        change(account, random);
      }
      unpublished.save(account, accountId);
    }
  }

  private static void change(Account account, Random random) {
    BigDecimal amount = BigDecimal.valueOf(1 + random.nextInt(5_000), 2);
    int choice = random.nextInt(10);
    if (choice == 0) {
      account.changeEmailAddress("x" + random.nextInt(1_000_000) + "@bank.example");
    } else if (choice < 4 && account.balance().compareTo(amount) >= 0) {
      account.debit(amount);
    } else {
      account.credit(amount);
    }
  }

  /** Whether every view of these streams is at its stream's version in the store. */
  boolean caughtUp(BankReadModels readModels, List<String> accounts, List<String> transfers) {
    return accounts.stream()
            .allMatch(
                id ->
                    readModels.accounts().version(id) == store.version(id)
                        && readModels.users().version(id) == store.version(id))
        && transfers.stream()
            .allMatch(id -> readModels.transfers().version(id) == store.version(id));
  }

  /**
   * Where the read models differ from a fold of the event store; empty if nowhere. The fold is
   * twofold: the same read models rebuilt in memory from the integration log (every view, and no
   * view more), and the write model's aggregates (balance, email, state, version). With the writes
   * counted by {@code views}, it also checks that each model applied each event of its streams
   * exactly once.
   */
  List<String> differences(
      BankReadModels readModels,
      CountingViewStores views,
      List<String> accounts,
      List<String> transfers)
      throws Exception {
    List<String> found = new ArrayList<>();
    BankReadModels fold = fold(store);
    found.addAll(readModels.differencesFrom(fold));
    long accountEvents = 0;
    for (String id : accounts) {
      long version = store.version(id);
      accountEvents += version;
      Account account = unpublished.get(id, Account::new);
      AccountView view = readModels.accounts().find(id).orElse(null);
      compare(found, "account view", id, view, fold.accounts().find(id).orElse(null));
      compare(found, "user view", id, readModels.users().find(id), fold.users().find(id));
      compare(found, "balance", id, view == null ? null : view.balance(), account.balance());
      compare(found, "email", id, view == null ? null : view.email(), account.email());
      compare(found, "accounts version", id, readModels.accounts().version(id), version);
      compare(found, "users version", id, readModels.users().version(id), version);
    }
    long transferEvents = 0;
    for (String id : transfers) {
      long version = store.version(id);
      transferEvents += version;
      MoneyTransfer transfer = unpublished.get(id, MoneyTransfer::new);
      compare(
          found, "transfer view", id, readModels.transfers().find(id), fold.transfers().find(id));
      compare(
          found,
          "transfer state",
          id,
          readModels.transfers().find(id).map(t -> t.state()).orElse(null),
          transfer.state());
      compare(found, "transfers version", id, readModels.transfers().version(id), version);
    }
    // A view write lands in Couchbase a moment before the wrapper counts it, so a read model seen
    // caught up may still be one count short: give the counts that moment. An extra write still
    // shows below; a missing one once this wait gives up.
    long accountWrites = accountEvents;
    long transferWrites = transferEvents;
    try {
      io.cqrs.testing.Await.until(
          Duration.ofSeconds(5),
          "the view writes to be counted",
          () ->
              views.writes("accounts") >= accountWrites
                  && views.writes("users") >= accountWrites
                  && views.writes("transfers") >= transferWrites);
    } catch (AssertionError countsShort) {
      // compared, and reported, below
    }
    compare(found, "writes", "accounts", views.writes("accounts"), accountEvents);
    compare(found, "writes", "users", views.writes("users"), accountEvents);
    compare(found, "writes", "transfers", views.writes("transfers"), transferEvents);
    return found;
  }

  /**
   * The read models folded from the integration log in this process's memory, each event applied in
   * log order (its stream's version order) to the models that follow its stream: the reference the
   * processors' read models are judged by, built without them.
   */
  static BankReadModels fold(EventStreamRepository store) throws Exception {
    BankReadModels fold = new BankReadModels(store, ViewStores.inMemory());
    long position = 1;
    List<LoggedEvent> page;
    while (!(page = store.readLog(position, 1_000)).isEmpty()) {
      for (LoggedEvent entry : page) {
        VersionedEvent event = entry.event();
        for (Projection projection : fold.projections().values()) {
          if (event.version() > 0 && projection.follows(event)) {
            projection.apply(event);
          }
        }
      }
      position = page.get(page.size() - 1).position() + 1;
    }
    return fold;
  }

  private static void compare(
      List<String> found, String what, String id, Object read, Object fold) {
    if (!Objects.equals(read, fold)) {
      found.add(what + " of " + id + ": read model has " + read + ", the store " + fold);
    }
  }

  /** Closes the buses and deletes what they declared. */
  @Override
  public void close() {
    rabbit.close();
  }
}
