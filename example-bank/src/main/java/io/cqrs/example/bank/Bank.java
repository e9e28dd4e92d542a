package io.cqrs.example.bank;

import io.cqrs.CommandDispatchManager;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.example.bank.domain.AccountCommandHandlers;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommandHandlers;
import io.cqrs.example.bank.domain.TransferProcess;
import io.cqrs.example.bank.readmodel.AccountsReadModel;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.EventJournal;
import io.cqrs.example.bank.readmodel.TransfersReadModel;
import io.cqrs.example.bank.readmodel.UsersReadModel;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

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
  /** The command service; its instances compete for commands. */
  public static final String COMMAND_SERVICE = "bank";

  /** The transfer process's subscription; its instances compete for events. */
  public static final String TRANSFER_PROCESS = "bank-transfers";

  /**
   * The read models' subscription. Read models in Couchbase are shared, so instances compete for
   * its events; in-memory read models need every event, so each process names its own.
   */
  public static final String READ_MODELS = "bank-read-models";

  private final BankInfrastructure infrastructure;
  private final TypeRegistry types;
  private final EventSourcingRepository repository;
  private final CommandDispatchManager commands;
  private final VersionedEventDispatchManager processEvents;
  private final BankReadModels readModels;
  private final BankService service;
  private final List<AutoCloseable> running = new CopyOnWriteArrayList<>();

  private Bank(BankInfrastructure infrastructure, PasswordHasher passwords) {
    this.infrastructure = infrastructure;
    this.types = infrastructure.types();
    this.repository =
        EventSourcingRepository.builder(infrastructure.store(), types)
            .publisher(infrastructure.eventBus())
            // A command handler need not wait for the broker's confirm: the relay (startRelay, as
            // a worker runs it) publishes whatever a crash or an outage kept from the bus, and
            // closing the bus waits for the confirms in flight.
            .publishAsynchronously(true)
            .snapshotPolicy(SnapshotPolicy.every(100))
            .build();
    this.commands =
        CommandDispatchManager.builder(infrastructure.commandBus(), types)
            .errorLog(infrastructure.store())
            // The buses deliver at least once: a redelivered command takes effect once.
            .deduplicate(true)
            .build();
    AccountCommandHandlers.register(commands, repository);
    TransferCommandHandlers.register(commands, repository);

    this.readModels = new BankReadModels(infrastructure.store(), infrastructure.views());

    this.processEvents = new VersionedEventDispatchManager(infrastructure.eventBus(), types);
    new TransferProcess(repository, infrastructure.commandBus()).register(processEvents);

    this.service = new BankService(repository, commands, infrastructure.commandBus(), passwords);
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

  /** Starts every part in this process: command handlers, transfer process and read models. */
  public Bank start() {
    return startCommandHandlers(2).startTransferProcess(2).startReadModels(READ_MODELS, 1);
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
   * Starts updating the read models from the bus, after catching up with the integration log.
   *
   * @param subscription the subscription's name; see {@link #READ_MODELS}
   * @param listeners how many events may be applied at once here
   */
  public Bank startReadModels(String subscription, int listeners) {
    Objects.requireNonNull(subscription, "subscription");
    try {
      running.add(readModels.subscribe(infrastructure.eventBus(), subscription, listeners));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Could not catch the read models up with the log", e);
    }
    return this;
  }

  /**
   * Starts an {@link EventRelay} that publishes committed events the fast path did not (a process
   * that died between commit and publish), if the store keeps publication marks ({@link
   * RelayStore}); relays of one prefix share a lease, so one publishes at a time.
   *
   * @return whether a relay runs; {@code false} for a store without publication marks
   */
  public boolean startRelay(Duration grace) {
    if (!(infrastructure.store() instanceof RelayStore)
        || !(infrastructure.store() instanceof ProcessorStore)) {
      return false;
    }
    running.add(
        EventRelay.builder(infrastructure.store(), infrastructure.eventBus())
            .name(infrastructure.prefix() + "-relay")
            .grace(grace)
            .build()
            .start());
    return true;
  }

  /**
   * Forgets the read models' views and rebuilds them from the store's integration log. Safe while
   * the bus keeps delivering: views ignore what they have seen and fetch what they missed.
   *
   * @return how many log entries were replayed
   */
  public long rebuildReadModels() throws Exception {
    readModels.clear();
    return readModels.rebuild().events();
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
                            accounts().version(id) == storeVersion(id)
                                && users().version(id) == storeVersion(id))
                && transferIds.stream()
                    .allMatch(id -> transfers().version(id) == storeVersion(id)));
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

  /** The three read models and the journal. */
  public BankReadModels readModels() {
    return readModels;
  }

  /** The accounts read model. */
  public AccountsReadModel accounts() {
    return readModels.accounts();
  }

  /** The users read model. */
  public UsersReadModel users() {
    return readModels.users();
  }

  /** The transfers read model. */
  public TransfersReadModel transfers() {
    return readModels.transfers();
  }

  /** The global handler's journal of received events. */
  public EventJournal journal() {
    return readModels.journal();
  }

  /** The store and buses the bank runs on. */
  public BankInfrastructure infrastructure() {
    return infrastructure;
  }

  /**
   * Stops the bank's subscriptions and its relay; in-flight messages finish (and are acknowledged)
   * first.
   */
  @Override
  public void close() {
    commands.close();
    processEvents.close();
    for (AutoCloseable part : running) {
      try {
        part.close();
      } catch (Exception e) {
        throw new IllegalStateException("Could not stop " + part, e);
      }
    }
    running.clear();
  }
}
