package io.cqrs.example.bank;

import io.cqrs.CommandDispatchManager;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projector;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.example.bank.domain.AccountCommandHandlers;
import io.cqrs.example.bank.domain.AccountEvent;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommandHandlers;
import io.cqrs.example.bank.domain.TransferEvent;
import io.cqrs.example.bank.domain.TransferProcess;
import io.cqrs.example.bank.readmodel.AccountsReadModel;
import io.cqrs.example.bank.readmodel.EventJournal;
import io.cqrs.example.bank.readmodel.TransfersReadModel;
import io.cqrs.example.bank.readmodel.UsersReadModel;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.RelayStore;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bank wired on the framework: the type registry, the repository, the command handlers, the
 * transfer process and the read models, on the store and buses of a {@link BankInfrastructure}.
 *
 * <p>Building a bank registers everything; nothing runs until one of the {@code start} methods
 * subscribes a part to its bus. A single process starts all parts; in a scaled-out deployment each
 * instance starts the parts it runs. {@link #service()} is what clients call.
 *
 * <p>Closing the bank stops its subscriptions; the infrastructure stays open for its owner to
 * close.
 */
public final class Bank implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Bank.class);

  /** The command service; its instances compete for commands. */
  public static final String COMMAND_SERVICE = "bank";

  /** The transfer process's subscription; its instances compete for events. */
  public static final String TRANSFER_PROCESS = "bank-transfer-process";

  /** The read models' subscription of a single-process bank. */
  public static final String READ_MODELS = "bank-read-models";

  private static final int LOG_PAGE = 1_000;

  private final BankInfrastructure infrastructure;
  private final TypeRegistry types = BankTypes.registry();
  private final EventSourcingRepository repository;
  private final CommandDispatchManager commands;
  private final VersionedEventDispatchManager readModelEvents;
  private final VersionedEventDispatchManager processEvents;
  private final AccountsReadModel accounts;
  private final UsersReadModel users;
  private final TransfersReadModel transfers;
  private final EventJournal journal = new EventJournal();
  private final BankService service;
  private EventRelay relay;

  private Bank(BankInfrastructure infrastructure, PasswordHasher passwords) {
    this.infrastructure = infrastructure;
    this.repository =
        EventSourcingRepository.builder(infrastructure.store(), types)
            .publisher(infrastructure.eventBus())
            .snapshotPolicy(SnapshotPolicy.every(100))
            .build();
    this.commands =
        CommandDispatchManager.builder(infrastructure.commandBus(), types)
            .errorLog(infrastructure.store())
            .deduplicate(true)
            .build();
    AccountCommandHandlers.register(commands, repository);
    TransferCommandHandlers.register(commands, repository);

    this.accounts = new AccountsReadModel();
    this.users = new UsersReadModel();
    this.transfers = new TransfersReadModel();
    this.readModelEvents = new VersionedEventDispatchManager(infrastructure.eventBus(), types);
    registerReadModels();

    this.processEvents = new VersionedEventDispatchManager(infrastructure.eventBus(), types);
    new TransferProcess(repository, infrastructure.commandBus()).register(processEvents);

    this.service = new BankService(repository, commands, infrastructure.commandBus(), passwords);
  }

  /**
   * Routes events to the read models, as andrewwebber's README does: each read model, behind a
   * {@link Projector} that applies every event exactly once, gets every event type of the streams
   * it follows, and a global handler sees every event.
   */
  private void registerReadModels() {
    Projector accountsProjector = new Projector(accounts, infrastructure.store());
    Projector usersProjector = new Projector(users, infrastructure.store());
    Projector transfersProjector = new Projector(transfers, infrastructure.store());
    for (Class<?> type : AccountEvent.types()) {
      readModelEvents.registerEventHandler(type, accountsProjector::handle);
      readModelEvents.registerEventHandler(type, usersProjector::handle);
    }
    for (Class<?> type : TransferEvent.types()) {
      readModelEvents.registerEventHandler(type, transfersProjector::handle);
    }
    readModelEvents.registerGlobalHandler(journal::record);
  }

  /** A bank on {@code infrastructure}, hashing passwords with {@link PasswordHasher}'s defaults. */
  public static Bank create(BankInfrastructure infrastructure) {
    return create(infrastructure, new PasswordHasher());
  }

  /** A bank on {@code infrastructure} that hashes passwords with {@code passwords}. */
  public static Bank create(BankInfrastructure infrastructure, PasswordHasher passwords) {
    return new Bank(
        Objects.requireNonNull(infrastructure, "infrastructure"),
        Objects.requireNonNull(passwords, "passwords"));
  }

  /**
   * Starts every part in this process: command handlers, transfer process, read models and the
   * publication relay.
   */
  public Bank start() throws Exception {
    return startCommandHandlers(2)
        .startTransferProcess(2)
        .startReadModels(READ_MODELS)
        .startRelay();
  }

  /** Starts handling commands from the bus on {@code listeners} threads. */
  public Bank startCommandHandlers(int listeners) {
    commands.listen(COMMAND_SERVICE, listeners);
    return this;
  }

  /** Starts the transfer process on {@code listeners} threads. */
  public Bank startTransferProcess(int listeners) {
    processEvents.listen(TRANSFER_PROCESS, listeners);
    return this;
  }

  /**
   * Starts updating the read models from the bus, then catches them up with the integration log (a
   * catch-up subscription: live first, so nothing falls between history and live events).
   *
   * @param subscription the subscription's name; in-memory read models need every event, so each
   *     process that keeps them needs a name of its own
   */
  public Bank startReadModels(String subscription) throws Exception {
    // One listener: the views are cheap to update, and one thread keeps the bus's order.
    readModelEvents.listen(Objects.requireNonNull(subscription, "subscription"), 1);
    catchUpReadModels();
    return this;
  }

  /**
   * Starts the relay that publishes committed events the fast path did not (a crash between commit
   * and publish, a bus that was down), if the store keeps publication marks.
   */
  public synchronized Bank startRelay() {
    if (relay == null && infrastructure.store() instanceof RelayStore) {
      relay = EventRelay.builder(infrastructure.store(), infrastructure.eventBus()).build().start();
    } else if (relay == null) {
      log.warn(
          "The store keeps no publication marks: events lost between commit and publish stay so");
    }
    return this;
  }

  /**
   * Applies every event of the integration log that the read models have not applied yet, through
   * the same handlers the bus feeds: how a new process fills its read models, and how {@code
   * rebuild} builds them. Safe while the bus keeps delivering.
   *
   * @return how many log entries were replayed
   */
  public long catchUpReadModels() throws Exception {
    long replayed = 0;
    long position = 1;
    List<LoggedEvent> page;
    while (!(page = infrastructure.store().readLog(position, LOG_PAGE)).isEmpty()) {
      for (LoggedEvent logged : page) {
        readModelEvents.dispatch(logged.event());
        replayed++;
      }
      position = page.get(page.size() - 1).position() + 1;
    }
    return replayed;
  }

  /**
   * Waits until the read models have applied every committed event of these streams.
   *
   * @throws TimeoutException if they have not within {@code timeout}
   */
  public void awaitReadModels(
      Collection<String> accountIds, Collection<String> transferIds, Duration timeout)
      throws TimeoutException {
    Await.until(
        "the read models to catch up with the write model",
        timeout,
        () ->
            accountIds.stream()
                    .allMatch(
                        id ->
                            accounts.appliedVersion(id) == storeVersion(id)
                                && users.appliedVersion(id) == storeVersion(id))
                && transferIds.stream()
                    .allMatch(id -> transfers.appliedVersion(id) == storeVersion(id)));
  }

  private long storeVersion(String id) {
    return infrastructure.store().version(id);
  }

  /** What clients call: commands and queries. */
  public BankService service() {
    return service;
  }

  /** The write model. */
  public EventSourcingRepository repository() {
    return repository;
  }

  /** The accounts read model. */
  public AccountsReadModel accounts() {
    return accounts;
  }

  /** The users read model. */
  public UsersReadModel users() {
    return users;
  }

  /** The transfers read model. */
  public TransfersReadModel transfers() {
    return transfers;
  }

  /** The global handler's journal of received events. */
  public EventJournal journal() {
    return journal;
  }

  /** The store and buses the bank runs on. */
  public BankInfrastructure infrastructure() {
    return infrastructure;
  }

  /** Stops the bank's subscriptions and relay; in-flight messages finish first. */
  @Override
  public synchronized void close() {
    commands.close();
    processEvents.close();
    readModelEvents.close();
    if (relay != null) {
      relay.close();
      relay = null;
    }
  }
}
