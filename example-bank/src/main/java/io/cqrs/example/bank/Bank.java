package io.cqrs.example.bank;

import io.cqrs.AggregateCache;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.example.bank.domain.AccountCommandHandlers;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommandHandlers;
import io.cqrs.example.bank.domain.TransferProcess;
import io.cqrs.example.bank.readmodel.AccountsReadModel;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.EventJournal;
import io.cqrs.example.bank.readmodel.TransfersReadModel;
import io.cqrs.example.bank.readmodel.UsersReadModel;
import io.cqrs.interceptor.MdcInterceptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * The bank as an application of the framework: one {@link Cqrs} on the store and buses of a {@link
 * BankInfrastructure}, with the bank's command handlers, its transfer process and its read models
 * (as tracking event processors) and the journal registered on it.
 *
 * <p>Building a bank registers everything; nothing runs until {@link #start()}, which starts the
 * whole {@link Cqrs} (processors, subscriptions, relay, command handlers, in that order). Every
 * instance of a scaled-out bank runs all of it; the buses and the processors' segments share the
 * work out. A bank that is never started (another process's view of a running bank, a rebuild)
 * still sends commands, runs them on the calling thread and reads the models. {@link #service()} is
 * what clients call.
 *
 * <p>Closing the bank stops what {@link #start()} started; the infrastructure stays open for its
 * owner to close.
 */
public final class Bank implements AutoCloseable {
  /** The command service; its instances compete for commands. */
  public static final String COMMAND_SERVICE = "bank";

  /**
   * The transfer process's tracking event processor; its instances share its segments (as many as
   * {@link #READ_MODEL_SEGMENTS}).
   */
  public static final String TRANSFER_PROCESS = "bank-transfer-process";

  /**
   * The journal's subscription (the global handler, {@link EventJournal}). With read models in
   * Couchbase instances compete for its events; with in-memory ones each process names its own.
   */
  public static final String JOURNAL = "bank-journal";

  /**
   * How many segments the read models' processors split the log into by default: up to this many
   * processes share each read model's work. Fixed in the store by a processor's first start.
   */
  public static final int READ_MODEL_SEGMENTS = 4;

  private final BankInfrastructure infrastructure;
  private final Cqrs cqrs;
  private final BankReadModels readModels;
  private final EventJournal journal = new EventJournal();
  private final String generation;
  private final String journalSubscription;
  private final boolean updatesReadModels;
  private final BankService service;
  private volatile boolean started;

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
            // Hot accounts are loaded by every command: keep their state here, so a load reads
            // only what other workers committed since.
            .aggregateCache(AggregateCache.maximumSize(10_000))
            // Every message id here keeps one correlation id (the HTTP API's idempotency keys
            // start their own, the transfer's steps react to its events, the bus redelivers as
            // sent), so the deduplication look-up may stand for the store's check of a command.
            .lookupProvesEffects(true)
            // A retried request that changed nothing is answered again, not run on newer state.
            .recordNoEffect(true)
            // A command handler's only effects are its saves, so its loads from the cache need no
            // read of the store before it saves: the save's commit refuses a stale version, and a
            // handler that saves nothing has its loads checked before its rejection counts. Where
            // competing processes take an account's commands in turn it costs more than it saves.
            .deferCacheChecks(builder.deferCacheChecks)
            .commandListeners(builder.commandListeners)
            // Outermost, so that what the others log while a message is handled names it.
            .interceptors(new MdcInterceptor())
            .interceptors(builder.interceptors.toArray());
    if (builder.updatesReadModels) {
      cqrs.eventListeners(builder.journalSubscription, builder.journalListeners);
    }
    this.cqrs = cqrs.build();

    AccountCommandHandlers.register(this.cqrs);
    TransferCommandHandlers.register(this.cqrs);
    new TransferProcess(this.cqrs.repository(), this.cqrs.commandBus())
        .register(this.cqrs, TRANSFER_PROCESS, READ_MODEL_SEGMENTS);

    // The generation serving now; a blue/green rebuild switches it for processes started later.
    this.generation = infrastructure.generation().current();
    this.readModels =
        new BankReadModels(infrastructure.store(), infrastructure.viewsOf(generation));
    this.updatesReadModels = builder.updatesReadModels;
    this.journalSubscription = builder.journalSubscription;
    if (updatesReadModels) {
      readModels.register(this.cqrs, generation, builder.readModelSegments);
      for (Class<?> eventType : BankTypes.events()) {
        this.cqrs.onEvent(builder.journalSubscription, eventType, journal::record);
      }
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
   * Starts the bank in this process: the read models' and the transfer process's processors (which
   * catch up from their checkpoints by themselves), the journal's subscription, the relay (when the
   * store keeps publication marks), then the command handlers ({@link Cqrs#start()}).
   */
  public Bank start() {
    cqrs.start();
    started = true;
    return this;
  }

  /** Whether {@link #start()} ran and {@link #close()} has not: this instance takes work. */
  public boolean isStarted() {
    return started;
  }

  /**
   * Forgets the read models' views and replays the whole integration log into them with processors
   * of a fresh generation, beside the live ones (the version gate and the views' writes make each
   * event count once). The live read-model processors of this process are paused while the views
   * are cleared, so none writes a view that the clear then loses from an index; a bank whose read
   * models other processes feed as well is rebuilt with {@code rebuild} (blue/green, into fresh
   * views) instead.
   *
   * @return the log head the replay caught up with
   * @throws TimeoutException if it had not caught up within {@code timeout}
   */
  public long rebuildReadModels(Duration timeout) throws TimeoutException {
    Set<String> live = new HashSet<>();
    for (String model : BankReadModels.MODELS) {
      live.add(BankReadModels.processorName(model, generation));
    }
    List<EventProcessor> paused =
        cqrs.processors().stream().filter(p -> live.contains(p.name())).toList();
    paused.forEach(EventProcessor::pause);
    try {
      readModels.clear();
    } finally {
      paused.forEach(EventProcessor::resume);
    }
    return readModels.replay("rebuild-" + UUID.randomUUID().toString().substring(0, 8), 1, timeout);
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

  /**
   * The generation of read models this bank serves and (when it updates them) feeds, read from
   * {@link BankInfrastructure#generation()} when the bank was built.
   */
  public String generation() {
    return generation;
  }

  /** The three read models. */
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
    return journal;
  }

  /** The subscription that feeds the journal (see {@link Builder#journal}). */
  public String journalSubscription() {
    return journalSubscription;
  }

  /**
   * How this instance is doing: its buses' consumers and its event processors (the read models' and
   * the transfer process's), for the readiness check.
   */
  public BankHealth health() {
    BankHealth buses = infrastructure.health();
    return new BankHealth(
        buses.commandBus(),
        buses.eventBus(),
        cqrs.processors().stream().map(BankHealth.Processor::of).toList());
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
    started = false;
    cqrs.close();
  }

  /** Builds a {@link Bank}; every setting is optional. */
  public static final class Builder {
    private final BankInfrastructure infrastructure;
    private PasswordHasher passwords;
    private int commandListeners = 2;
    private int journalListeners = 1;
    private String journalSubscription = JOURNAL;
    private int readModelSegments = READ_MODEL_SEGMENTS;
    private boolean updatesReadModels = true;
    private boolean deferCacheChecks = true;
    private final List<Object> interceptors = new ArrayList<>();

    private Builder(BankInfrastructure infrastructure) {
      this.infrastructure = infrastructure;
    }

    /**
     * Interceptors (metrics, tracing) every part of the bank runs, inside the {@link
     * MdcInterceptor} the bank always runs; see {@link Cqrs.Builder#interceptors}.
     */
    public Builder interceptors(List<Object> interceptors) {
      this.interceptors.addAll(interceptors);
      return this;
    }

    /**
     * Whether command handlers' loads from the aggregate cache leave their check of the store to
     * their saves' commits (default true; {@link Cqrs.Builder#deferCacheChecks}): one Couchbase KV
     * operation less per command where this process is the only one taking an account's commands,
     * more conflicts where several worker processes compete for them (docs/scaleout.md), so {@code
     * worker} processes turn it off.
     */
    public Builder deferCacheChecks(boolean deferCacheChecks) {
      this.deferCacheChecks = deferCacheChecks;
      return this;
    }

    /** How passwords are hashed (default: {@link PasswordHasher}'s defaults). */
    public Builder passwords(PasswordHasher passwords) {
      this.passwords = Objects.requireNonNull(passwords, "passwords");
      return this;
    }

    /**
     * Commands and journal events handled at once, each (default: 2 commands, 1 journal event). The
     * transfer process and the read models run one thread per segment they hold.
     */
    public Builder listeners(int listeners) {
      if (listeners < 1) {
        throw new IllegalArgumentException("listeners must be >= 1, was " + listeners);
      }
      this.commandListeners = listeners;
      this.journalListeners = listeners;
      return this;
    }

    /**
     * The subscription that feeds the journal (default {@link #JOURNAL}); see there which name to
     * give.
     */
    public Builder journal(String subscription) {
      Objects.requireNonNull(subscription, "subscription");
      if (subscription.isBlank()) {
        throw new IllegalArgumentException("the journal's subscription must not be blank");
      }
      this.journalSubscription = subscription;
      return this;
    }

    /**
     * How many segments the read models' processors split the log into (default {@link
     * #READ_MODEL_SEGMENTS}).
     */
    public Builder readModelSegments(int segments) {
      if (segments < 1) {
        throw new IllegalArgumentException("readModelSegments must be >= 1, was " + segments);
      }
      this.readModelSegments = segments;
      return this;
    }

    /**
     * This instance runs neither the read models' processors nor the journal (another one does, or
     * a test runs them itself); it still reads the read models.
     */
    public Builder withoutReadModelUpdates() {
      this.updatesReadModels = false;
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
