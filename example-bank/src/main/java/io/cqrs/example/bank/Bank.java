package io.cqrs.example.bank;

import io.cqrs.Cqrs;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.example.bank.domain.AccountCommandHandlers;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommandHandlers;
import io.cqrs.example.bank.domain.TransferProcess;
import io.cqrs.example.bank.readmodel.AccountsReadModel;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.EventJournal;
import io.cqrs.example.bank.readmodel.TransfersReadModel;
import io.cqrs.example.bank.readmodel.UsersReadModel;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * The bank as an application of the framework: one {@link Cqrs} on the store and buses of a {@link
 * BankInfrastructure}, with the bank's command handlers, its transfer process and its read models
 * registered on it.
 *
 * <p>Building a bank registers everything; nothing runs until {@link #start()}, which starts the
 * whole {@link Cqrs} (subscriptions, relay, command handlers, in that order) and then catches the
 * read models up with the integration log. Every instance of a scaled-out bank runs all of it; the
 * buses share the work out. A bank that is never started (another process's view of a running bank,
 * a rebuild) still sends commands, runs them on the calling thread and reads the models. {@link
 * #service()} is what clients call.
 *
 * <p>Closing the bank stops what {@link #start()} started; the infrastructure stays open for its
 * owner to close.
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
  private final Cqrs cqrs;
  private final BankReadModels readModels;
  private final boolean updatesReadModels;
  private final BankService service;

  private Bank(Builder builder) {
    this.infrastructure = builder.infrastructure;
    Cqrs.Builder cqrs =
        Cqrs.builder()
            // The registry the store and the buses serialize with; it holds the aggregates, their
            // events and the commands (BankTypes), their handlers checked when it was made.
            .types(infrastructure.types())
            .store(infrastructure.store())
            .commandBus(infrastructure.commandBus())
            .eventBus(infrastructure.eventBus())
            .service(COMMAND_SERVICE)
            // A command handler need not wait for the broker's confirm: the relay publishes
            // whatever a crash or an outage kept from the bus, and closing the bus waits for the
            // confirms in flight.
            .publishAsynchronously(true)
            .snapshotPolicy(SnapshotPolicy.every(100))
            .commandListeners(builder.commandListeners)
            .eventListeners(TRANSFER_PROCESS, builder.transferListeners);
    if (builder.readModelSubscription != null) {
      cqrs.eventListeners(builder.readModelSubscription, builder.readModelListeners);
    }
    this.cqrs = cqrs.build();

    AccountCommandHandlers.register(this.cqrs);
    TransferCommandHandlers.register(this.cqrs);
    new TransferProcess(this.cqrs.repository(), this.cqrs.commandBus())
        .register(this.cqrs, TRANSFER_PROCESS);

    this.readModels = new BankReadModels(infrastructure.store(), infrastructure.views());
    this.updatesReadModels = builder.readModelSubscription != null;
    if (updatesReadModels) {
      readModels.register(this.cqrs, builder.readModelSubscription);
    }
    this.service = new BankService(this.cqrs, builder.passwords);
  }

  /**
   * A bank on {@code infrastructure} with the default settings of {@link #builder}, hashing
   * passwords with {@link PasswordHasher}'s defaults.
   */
  public static Bank create(BankInfrastructure infrastructure) {
    return builder(infrastructure).build();
  }

  /** A bank on {@code infrastructure} that hashes passwords with {@code passwords}. */
  public static Bank create(BankInfrastructure infrastructure, PasswordHasher passwords) {
    return builder(infrastructure).passwords(passwords).build();
  }

  /** A builder of a bank on {@code infrastructure}. */
  public static Builder builder(BankInfrastructure infrastructure) {
    return new Builder(Objects.requireNonNull(infrastructure, "infrastructure"));
  }

  /**
   * Starts the bank in this process: the transfer process's and the read models' subscriptions, the
   * relay (when the store keeps publication marks), then the command handlers ({@link
   * Cqrs#start()}); then catches the read models up with the integration log, so that they miss
   * nothing published before their subscription existed (live first, then the log: the read models
   * skip what they have seen, so the switch has neither gap nor duplicate).
   */
  public Bank start() {
    cqrs.start();
    if (updatesReadModels) {
      try {
        readModels.rebuild();
      } catch (Exception e) {
        cqrs.close();
        throw new IllegalStateException("Could not catch the read models up with the log", e);
      }
    }
    return this;
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
    return cqrs.repository();
  }

  /** The framework's entry point this bank runs on: its parts, and whether a relay runs. */
  public Cqrs cqrs() {
    return cqrs;
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
   * Stops the command handlers, the subscriptions and the relay, in that order; in-flight messages
   * finish (and are acknowledged) first.
   */
  @Override
  public void close() {
    cqrs.close();
  }

  /** Builds a {@link Bank}; every setting is optional. */
  public static final class Builder {
    private final BankInfrastructure infrastructure;
    private PasswordHasher passwords;
    private int commandListeners = 2;
    private int transferListeners = 2;
    private int readModelListeners = 1;
    private String readModelSubscription = READ_MODELS;

    private Builder(BankInfrastructure infrastructure) {
      this.infrastructure = infrastructure;
    }

    /** How passwords are hashed (default: {@link PasswordHasher}'s defaults). */
    public Builder passwords(PasswordHasher passwords) {
      this.passwords = Objects.requireNonNull(passwords, "passwords");
      return this;
    }

    /**
     * Commands, transfer-process events and read-model events handled at once, each (default: 2
     * commands, 2 transfer-process events, 1 read-model event).
     */
    public Builder listeners(int listeners) {
      if (listeners < 1) {
        throw new IllegalArgumentException("listeners must be >= 1, was " + listeners);
      }
      this.commandListeners = listeners;
      this.transferListeners = listeners;
      this.readModelListeners = listeners;
      return this;
    }

    /**
     * The subscription that feeds the read models (default {@link #READ_MODELS}); see there which
     * name to give.
     */
    public Builder readModels(String subscription) {
      Objects.requireNonNull(subscription, "subscription");
      if (subscription.isBlank()) {
        throw new IllegalArgumentException("the read models' subscription must not be blank");
      }
      this.readModelSubscription = subscription;
      return this;
    }

    /**
     * This instance does not keep the read models up to date (another one does, or a test feeds
     * them itself); it still reads them.
     */
    public Builder withoutReadModelUpdates() {
      this.readModelSubscription = null;
      return this;
    }

    public Bank build() {
      if (passwords == null) {
        passwords = new PasswordHasher();
      }
      return new Bank(this);
    }
  }
}
