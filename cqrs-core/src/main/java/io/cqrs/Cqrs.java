package io.cqrs;

import io.cqrs.interceptor.Interceptors;
import io.cqrs.internal.Texts;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.SerializingPart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry point of an application: a store, a command bus and an event bus (in memory unless
 * given), the type registry, the repository, the command dispatch manager, the event handlers of
 * each subscription and the relay, wired together and started and stopped in the right order.
 *
 * <pre>{@code
 * Cqrs cqrs = Cqrs.builder().aggregate(Account.class, MoneyDeposited.class).build();
 * EventSourcingRepository accounts = cqrs.repository();
 * cqrs.onCommand(Deposit.class, (deposit, command) -> { ... accounts.save(account, command); });
 * cqrs.processor("balances", balances); // a Projection: exactly once in effect
 * cqrs.onEvent("mailer", MoneyDeposited.class, event -> ...);
 * cqrs.start();
 * cqrs.send(new Deposit("acc-1", new BigDecimal("50.00")));
 * }</pre>
 *
 * <p>Read models run as {@linkplain #processor(String, Projection) event processors} on the store's
 * integration log; {@link #onEvent} handlers get events from the event bus (at least once), for
 * reactions such as sending an e-mail.
 *
 * <p>{@link #start()} starts the processors, subscribes the event handlers (so no event published
 * from then on is missed), then starts the relay, then takes commands. {@link #close()} stops the
 * tracking processors first (a process manager's step sent while one drains still finds the command
 * listeners), then commands, event handlers and subscribing processors, relay, then the buses and
 * the store this instance created (a store or bus passed in belongs to the caller and stays open).
 * Each part stays usable on its own: this class only builds and orders them.
 *
 * <p>{@link Builder#interceptors Interceptors} run around every command sent and handled, every
 * event published and handled and every aggregate loaded and saved; metrics, tracing and the SLF4J
 * MDC are interceptors.
 *
 * <p>The relay ({@link EventRelay}) runs whenever the store can keep its marks and lease ({@link
 * RelayStore} and {@link ProcessorStore}), unless {@link Builder#relay(boolean) turned off}:
 * without it, events a crash kept from the bus would stay unpublished. Thread-safe.
 */
public final class Cqrs implements AutoCloseable {
  /** The default {@link Builder#shutdownTimeout}. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(Cqrs.class);

  private final TypeRegistry types;
  private final EventStreamRepository store;

  /** The buses as given, not wrapped in interceptors: see {@link #requireOneRegistry}. */
  private final CommandBus givenCommandBus;

  private final EventBus givenEventBus;

  private final CommandBus commandBus;
  private final EventBus eventBus;
  private final EventSourcingRepository repository;
  private final CommandDispatchManager commands;
  private final EventRelay relay;
  private final Interceptors interceptors;
  private final String service;
  private final int commandListeners;
  private final int eventListeners;
  private final Map<String, Integer> subscriptionListeners;
  private final List<AutoCloseable> owned;
  private final Map<String, VersionedEventDispatchManager> subscriptions = new LinkedHashMap<>();
  private final Map<String, EventProcessor> processors = new LinkedHashMap<>();
  private BiConsumer<String, TrackingEventProcessor.Builder> processorSettings = (name, p) -> {};
  private final Duration shutdownTimeout;
  private volatile State state = State.NEW;

  private enum State {
    NEW,
    STARTED,
    CLOSED
  }

  private Cqrs(Builder builder) {
    builder.types.validateUpcasters();
    builder.types.validateAggregates();
    this.types = builder.types;
    this.owned = new ArrayList<>();
    this.store = builder.store != null ? builder.store : own(new InMemoryEventStreamRepository());
    this.interceptors = builder.interceptors;
    this.commandBus =
        interceptors.commandBus(
            builder.commandBus != null ? builder.commandBus : own(new InMemoryCommandBus()));
    this.eventBus =
        interceptors.eventBus(
            builder.eventBus != null ? builder.eventBus : own(new InMemoryEventBus()));
    this.service = builder.service;
    this.shutdownTimeout = builder.shutdownTimeout;
    this.commandListeners = builder.commandListeners;
    this.eventListeners = builder.eventListeners;
    this.subscriptionListeners = Map.copyOf(builder.subscriptionListeners);
    EventSourcingRepository.Builder repositoryBuilder =
        EventSourcingRepository.builder(store, types)
            .publisher(eventBus)
            .publishAsynchronously(builder.publishAsynchronously)
            .snapshotPolicy(builder.snapshotPolicy)
            .interceptors(interceptors);
    if (builder.aggregateCache != null) {
      repositoryBuilder.cache(builder.aggregateCache);
    }
    this.repository = repositoryBuilder.build();
    this.commands =
        CommandDispatchManager.builder(commandBus, types)
            .errorLog(store)
            .deduplicate(builder.deduplicate)
            .lookupProvesEffects(builder.lookupProvesEffects)
            .recordNoEffect(builder.recordNoEffect)
            .deferCacheChecks(builder.deferCacheChecks)
            .interceptors(interceptors)
            .build();
    this.relay =
        builder.relay && store instanceof RelayStore && store instanceof ProcessorStore
            ? EventRelay.builder(store, eventBus).name(service + "-relay").build()
            : null;
    this.givenCommandBus = builder.commandBus;
    this.givenEventBus = builder.eventBus;
    requireOneRegistry(false);
  }

  /**
   * Refuses a store or bus whose serializer's registry lacks a type it will carry (see {@link
   * SerializingPart}): every event an aggregate of this instance's registry handles, for the store
   * and the event bus (however the aggregate and its events were registered), and the handled
   * command types for the command bus (at start, once {@code onCommand} registered them). Not the
   * aggregate types: the repository writes snapshots with its own codec, which the store keeps as
   * text. An adopter built the store's serializer on one registry and gave {@link Builder#types}
   * none, and every save failed at run time on an event type the application had registered, in the
   * other registry.
   *
   * @throws IllegalStateException naming the part and the types its serializer does not hold
   */
  private void requireOneRegistry(boolean commandsToo) {
    Set<String> events = new TreeSet<>();
    for (String name : types.names()) {
      Class<?> type = types.typeOf(name);
      if (EventSourceBased.class.isAssignableFrom(type)) {
        for (Class<?> handled : io.cqrs.internal.EventRouter.of(type).handledTypes()) {
          events.add(types.nameOf(handled));
        }
      }
    }
    requireRegistered("store", store, events);
    requireRegistered("event bus", givenEventBus, events);
    if (commandsToo) {
      requireRegistered("command bus", givenCommandBus, commands.commandTypes());
    }
  }

  private void requireRegistered(String part, Object component, Set<String> carried) {
    if (!(component instanceof SerializingPart serializing)) {
      return;
    }
    TypeRegistry theirs = serializing.serializer().map(EventSerializer::registry).orElse(null);
    if (theirs == null || theirs == types) {
      return;
    }
    Set<String> missing = new TreeSet<>();
    for (String name : carried) {
      Class<?> type = types.typeOf(name);
      if (!theirs.isRegistered(type) || !theirs.nameOf(type).equals(name)) {
        missing.add(name); // not held, or held under another name
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "The "
              + part
              + "'s EventSerializer is made on another TypeRegistry than this Cqrs's (the one"
              + " given to types(...), or a new one without it), and does not hold "
              + Texts.cut(missing.toString(), Texts.MAX_SHOWN_FAILURE)
              + ", which the "
              + part
              + " is to carry: every save or send of them would fail. Make them one registry:"
              + " build the serializer on the registry passed to types(...)");
    }
  }

  /** A builder with in-memory store and buses and a new type registry. */
  public static Builder builder() {
    return new Builder();
  }

  private <T> T own(T part) {
    if (part instanceof AutoCloseable closeable) {
      owned.add(closeable);
    }
    return part;
  }

  /** The registry of every aggregate, event and command type. */
  public TypeRegistry types() {
    return types;
  }

  /** The event store. */
  public EventStreamRepository store() {
    return store;
  }

  /** The repository that loads and saves aggregates; it publishes on the event bus. */
  public EventSourcingRepository repository() {
    return repository;
  }

  /** The command dispatch manager, e.g. to {@link CommandDispatchManager#dispatch} directly. */
  public CommandDispatchManager commands() {
    return commands;
  }

  /**
   * The relay, if one runs: when the store is a {@link RelayStore} and {@link Builder#relay} was
   * not turned off.
   */
  public Optional<EventRelay> relay() {
    return Optional.ofNullable(relay);
  }

  /** The command bus, with the command dispatch interceptors around its publish calls. */
  public CommandBus commandBus() {
    return commandBus;
  }

  /** The event bus, with the event publish interceptors around its publish calls. */
  public EventBus eventBus() {
    return eventBus;
  }

  /**
   * The interceptors every part of this instance runs; pass them to a processor built by hand
   * ({@code EventProcessor.tracking(name, cqrs.store()).interceptors(cqrs.interceptors())}).
   */
  public Interceptors interceptors() {
    return interceptors;
  }

  /**
   * The event processors registered with {@link #processor(EventProcessor)} and {@link
   * #processor(String, Projection)}, in the order they were registered: for health checks and
   * metrics (their lag, say).
   */
  public synchronized List<EventProcessor> processors() {
    return List.copyOf(processors.values());
  }

  /**
   * Registers the handler of one command type. Before {@link #start()}.
   *
   * @throws IllegalStateException if started, or the type has a handler already
   */
  public synchronized <C> Cqrs onCommand(Class<C> commandType, CommandHandler<? super C> handler) {
    requireNew("onCommand");
    commands.registerCommandHandler(commandType, handler);
    return this;
  }

  /**
   * Registers a handler of one event type in the named subscription: every subscription gets every
   * event, and the handlers of one subscription share its listeners. Before {@link #start()}.
   *
   * @param subscription a stable name; instances of the application with the same name compete for
   *     the subscription's events
   */
  public synchronized Cqrs onEvent(
      String subscription, Class<?> eventType, VersionedEventHandler handler) {
    requireNew("onEvent");
    Objects.requireNonNull(subscription, "subscription");
    subscriptions
        .computeIfAbsent(
            subscription, name -> new VersionedEventDispatchManager(eventBus, types, interceptors))
        .registerEventHandler(eventType, handler);
    return this;
  }

  /**
   * Runs a read model as a tracking {@link EventProcessor} on this instance's store: it catches up
   * from its checkpoint and follows the integration log, and {@code projection} gets every stream
   * event exactly once in effect (see {@link TrackingEventProcessor.Builder#projection}). The way
   * to build read models; before {@link #start()}.
   *
   * <p>It runs on one segment, so one process at a time handles its events (another takes over when
   * that one stops, or within the claim's 30 s when it dies); {@link #processor(String, Projection,
   * Consumer)} spreads it over several processes.
   *
   * @param name the processor's name, unique per store and stable across restarts
   * @throws IllegalArgumentException if the store keeps no processor state, or the name is taken
   */
  public synchronized Cqrs processor(String name, Projection projection) {
    return processor(name, projection, settings -> {});
  }

  /**
   * Runs a read model as {@link #processor(String, Projection)} does, with the processor's settings
   * given to {@code settings} before it is built: {@code segments} above all, the most processes
   * that can share its work (fixed in the store by the first start: a different count needs a new
   * name), and {@code claimTtl}, how long a dead process's segments wait. The processor gets this
   * instance's interceptors as the others do (outermost; interceptors the settings give it run
   * inside them), which one built by hand and passed to {@link #processor(EventProcessor)} would
   * have to be given.
   *
   * <pre>{@code
   * cqrs.processor("balances", balances, p -> p.segments(8).claimTtl(Duration.ofSeconds(10)));
   * }</pre>
   *
   * @throws IllegalArgumentException if the store keeps no processor state, the name is taken, or a
   *     setting is out of range
   */
  public synchronized Cqrs processor(
      String name, Projection projection, Consumer<TrackingEventProcessor.Builder> settings) {
    return processor(name, projecting(projection, settings));
  }

  /** {@code settings} after the projection the processor runs. */
  private static Consumer<TrackingEventProcessor.Builder> projecting(
      Projection projection, Consumer<TrackingEventProcessor.Builder> settings) {
    Objects.requireNonNull(projection, "projection");
    Objects.requireNonNull(settings, "settings");
    return builder -> {
      builder.projection(projection);
      settings.accept(builder);
    };
  }

  /**
   * Runs a tracking processor on this instance's store whose handler {@code settings} gives ({@code
   * handler}, {@code asyncHandler} or {@code projection}) with its other settings: how a process
   * manager runs, each step a command sent with a message id derived from the process (see
   * docs/architecture.md, "Process managers"). It gets this instance's interceptors (metrics,
   * tracing, the MDC) as {@link #processor(String, Projection, Consumer)} gives them, and is closed
   * before the commands, so a step it sends while it drains is still handled here.
   *
   * <pre>{@code
   * cqrs.processor("fulfilment", p -> p.asyncHandler(saga::on).segments(4));
   * }</pre>
   *
   * @throws IllegalArgumentException if the store keeps no processor state, the name is taken, or a
   *     setting is out of range
   * @throws IllegalStateException if the settings gave no handler
   */
  public synchronized Cqrs processor(
      String name, Consumer<TrackingEventProcessor.Builder> settings) {
    return processor(name, EventProcessor.tracking(name, store), settings);
  }

  /** Builds a tracking processor from {@code builder} with these settings, and registers it. */
  private Cqrs processor(
      String name,
      TrackingEventProcessor.Builder builder,
      Consumer<TrackingEventProcessor.Builder> settings) {
    Objects.requireNonNull(settings, "settings");
    settings.accept(builder);
    processorSettings.accept(name, builder);
    // This instance's interceptors outermost, then any the settings gave the processor.
    Interceptors own = builder.interceptors();
    builder.interceptors(own == interceptors ? interceptors : interceptors.with(own));
    return processor(builder.build());
  }

  /**
   * Runs a read model kept in this process's memory (a map): its processor keeps its checkpoints in
   * memory too ({@link EventProcessor#local}), so it reads the whole log from the start at every
   * start and, in each process, every stream. On a store that keeps checkpoints (Couchbase), {@link
   * #processor(String, Projection)} would resume such a read model after the stored checkpoint with
   * the map empty, and split the streams among the processes. It gets this instance's interceptors;
   * before {@link #start()}. Its dead letters are kept in its memory too, listed and replayed by it
   * alone.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  public synchronized Cqrs localProcessor(String name, Projection projection) {
    return localProcessor(name, projection, settings -> {});
  }

  /**
   * Runs a read model kept in this process's memory as {@link #localProcessor(String, Projection)}
   * does, with the processor's settings given to {@code settings} before it is built (and those of
   * {@link #processorSettings} after them, as for {@link #processor(String, Consumer)}).
   *
   * @throws IllegalArgumentException if the name is taken, or a setting is out of range
   */
  public synchronized Cqrs localProcessor(
      String name, Projection projection, Consumer<TrackingEventProcessor.Builder> settings) {
    return processor(name, EventProcessor.local(name, store), projecting(projection, settings));
  }

  /**
   * Settings given to each tracking processor built from here on by name ({@link #processor(String,
   * Consumer)}, {@link #processor(String, Projection, Consumer)}, {@link #processor(String,
   * Projection)}, {@link #localProcessor(String, Projection)}), after the application's own, with
   * the processor's name: how configuration kept outside the code reaches processors built in it
   * (the Spring Boot starter gives a processor its {@code cqrs.processors.<name>.*} properties this
   * way, overriding what the code set). Added to any given before; not applied to a processor
   * passed built ({@link #processor(EventProcessor)}); before {@link #start()}.
   */
  public synchronized Cqrs processorSettings(
      BiConsumer<String, TrackingEventProcessor.Builder> settings) {
    requireNew("processorSettings");
    Objects.requireNonNull(settings, "settings");
    processorSettings = processorSettings.andThen(settings);
    return this;
  }

  /**
   * Runs a processor built with {@link EventProcessor#tracking} (for segments, batch size, a
   * handler instead of a projection...) or {@link EventProcessor#subscribing}. Started by {@link
   * #start()} and closed by {@link #close()}; before {@link #start()}.
   *
   * @throws IllegalArgumentException if a processor of that name is registered already
   */
  public synchronized Cqrs processor(EventProcessor processor) {
    requireNew("processor");
    Objects.requireNonNull(processor, "processor");
    if (processors.putIfAbsent(processor.name(), processor) != null) {
      throw new IllegalArgumentException(
          "A processor named '" + processor.name() + "' is registered already");
    }
    return this;
  }

  /**
   * Starts the event processors, the event subscriptions, the relay and the command listeners, in
   * that order.
   *
   * @throws IllegalStateException if started or closed before
   */
  public synchronized Cqrs start() {
    requireNew("start");
    requireOneRegistry(true); // onCommand(...) registered the command types since build()
    state = State.STARTED;
    try {
      processors.values().forEach(EventProcessor::start);
      subscriptions.forEach(
          (name, manager) ->
              manager.listen(name, subscriptionListeners.getOrDefault(name, eventListeners)));
      if (relay != null) {
        relay.start();
      }
      if (!commands.commandTypes().isEmpty()) {
        commands.listen(service, commandListeners);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  /**
   * Sends a command in a new envelope on the command bus; returns the envelope sent.
   *
   * @throws UnroutableMessageException if no service subscribed to the command's type (saying so,
   *     or, before {@link #start()}, that this instance is not started yet: {@link #start()}
   *     subscribes its handlers, and on the in-memory bus nothing else could take the command)
   */
  public Command send(Object body) {
    // A Command typed as Object (a List<Object> sent one by one) is an envelope, not a body.
    return send(body instanceof Command command ? command : Command.create(body));
  }

  /**
   * Sends a command envelope as it is, keeping its message id: a client's retry of a command under
   * the id it was first sent with ({@code Command.builder(body).messageId(id).build()}), which the
   * store's deduplication lets take effect once however often it comes.
   *
   * @return {@code command}
   * @throws UnroutableMessageException as {@link #send(Object)}
   */
  public Command send(Command command) {
    Objects.requireNonNull(command, "command");
    try {
      commandBus.publish(command);
    } catch (UnroutableMessageException | UnknownTypeException e) {
      if (state != State.NEW
          || (e instanceof UnknownTypeException unknown
              && !command.commandType().equals(unknown.typeName()))) {
        throw e;
      }
      // Before the start no handler of this instance is subscribed, and one registered at the start
      // (the Spring Boot starter's handler beans) has not registered its command type either: the
      // in-memory bus then refused the command as of no service, or as of an unknown type.
      UnroutableMessageException notStarted =
          new UnroutableMessageException(
              command.commandType(),
              commands.commandTypes().contains(command.commandType())
                  ? "cqrs '"
                      + service
                      + "' is not started, and start() subscribes its handler of it; nothing was"
                      + " published"
                  : "cqrs '"
                      + service
                      + "' is not started and has no handler of it yet (start() subscribes the"
                      + " handlers registered by then; the Spring Boot starter registers the"
                      + " context's handler beans as it starts), and no service is subscribed to"
                      + " it"
                      + (e instanceof UnknownTypeException
                          ? "; nor is the type registered, which a command another service"
                              + " handles must be for the bus to carry it"
                              + " (TypeRegistry.registerCommands)"
                          : "")
                      + "; nothing was published");
      notStarted.initCause(e);
      throw notStarted;
    }
    return command;
  }

  /**
   * What became of {@code command} so far, from the store (what the store recorded as caused by
   * it): the events it caused, its recorded rejection, or pending (see {@link CommandOutcome} for
   * what is recorded under which settings). Any process can ask, whichever handled the command; a
   * sender that must know polls until it is no longer pending.
   */
  public CommandOutcome outcome(Command command) {
    Objects.requireNonNull(command, "command");
    return CommandOutcome.of(
        command.messageId(), store.eventsCausedBy(command.correlationId(), command.messageId()));
  }

  /**
   * Stops the tracking processors (they save their checkpoints), stops taking commands, stops the
   * event subscriptions, the subscribing processors and the relay (in-flight work finishes first),
   * then closes the buses and the store this instance created. Idempotent: a call after the first
   * returns at once.
   *
   * <p>Waits at most the {@linkplain Builder#shutdownTimeout shutdown timeout}. A handler that has
   * not returned by then is left to finish on its own thread: every part not yet closed is closed
   * at once, each on a thread of its own so that none waits for another, this method logs which
   * part still waits and returns, and the buses and store this instance created close once all of
   * them have (what fails then is logged). Nothing is lost by leaving early: the unfinished message
   * is not acknowledged, so a broker delivers it again, and a processor segment stuck in a handler
   * keeps its claim only until the claim runs out. Called from a handler of this instance, it waits
   * the whole timeout, since the shutdown waits for that handler.
   *
   * @throws RuntimeException the first part's failure to close, the others' suppressed in it, when
   *     the shutdown completed in time (an {@link Error} likewise)
   */
  @Override
  public void close() {
    Shutdown shutdown;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      shutdown = new Shutdown(parts());
    }
    shutdown.start();
    shutdown.awaitWithin(shutdownTimeout);
    if (shutdown.leftToFinish()) {
      shutdown.abandon();
      return;
    }
    shutdown.rethrow();
  }

  /**
   * The parts in the order they close: processors that read the store's log, commands, event
   * subscriptions (and processors fed by one), relay (all of which run handlers or publish), then
   * what this instance created (the buses and the store).
   *
   * <p>Log readers first: process managers run on them, and a step one sends while it drains must
   * still find this instance's command listeners (on an in-memory bus, a command queued after they
   * closed is lost, and the processor has saved its checkpoint past the event that sent it, so no
   * restart sends it again); what the commands commit after they stop, they read from their
   * checkpoints next time. Commands next, so that the events their draining handlers publish still
   * reach the subscriptions, which have no checkpoint to read them from later. A subscription that
   * sends commands while it drains (a process manager on a subscription) finds them closed: on an
   * in-memory bus those are lost, which is one reason process managers belong on log readers.
   *
   * <p>The log readers close together, each on a thread of its own: each one's close saves its
   * checkpoints, releases its claims and leaves, and with the store slow or gone (each call waiting
   * out its timeout) one after another made a shutdown last the sum of theirs, not the longest.
   */
  private List<Part> parts() {
    List<Part> parts = new ArrayList<>();
    processors.forEach(
        (name, processor) -> {
          if (!(processor instanceof SubscribingEventProcessor)) {
            parts.add(new Part("processor '" + name + "'", processor::close, true, true));
          }
        });
    parts.add(new Part("the commands of service '" + service + "'", commands::close, true));
    subscriptions.forEach(
        (name, manager) ->
            parts.add(new Part("subscription '" + name + "'", manager::close, true)));
    processors.forEach(
        (name, processor) -> {
          if (processor instanceof SubscribingEventProcessor) {
            parts.add(new Part("processor '" + name + "'", processor::close, true));
          }
        });
    if (relay != null) {
      parts.add(new Part("the relay", relay::close, true));
    }
    for (AutoCloseable part : owned) {
      parts.add(
          new Part(
              part.toString(),
              () -> {
                try {
                  part.close();
                } catch (RuntimeException e) {
                  throw e;
                } catch (Exception e) {
                  throw new IllegalStateException("Could not close " + part, e);
                }
              },
              false));
    }
    return parts;
  }

  /**
   * One part of the shutdown.
   *
   * @param running whether it runs handlers or publishes (closed at once when time runs out), not a
   *     bus or store that those may still use
   * @param together whether it closes at the same time as the parts of that kind beside it
   */
  private record Part(String name, Runnable close, boolean running, boolean together) {
    Part(String name, Runnable close, boolean running) {
      this(name, close, running, false);
    }
  }

  /**
   * The shutdown of one {@link Cqrs}: its parts closed in order on a thread of its own (the log
   * readers together, see {@link #parts()}), which the caller waits for at most the shutdown
   * timeout.
   */
  private final class Shutdown {
    private final List<Part> parts;
    private final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    // RUNNING until either the shutdown thread finishes (DONE: the caller reports its failures)
    // or the caller stops waiting (LATE: the thread logs them when it finishes).
    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int LATE = 2;
    private final AtomicInteger outcome = new AtomicInteger(RUNNING);
    private final CountDownLatch abandoned = new CountDownLatch(1);
    private final List<Thread> closers = new CopyOnWriteArrayList<>();

    /**
     * The parts being closed now by their place in {@link #parts}, for the warning on a timeout.
     */
    private final Map<Integer, String> closing = new ConcurrentSkipListMap<>();

    Shutdown(List<Part> parts) {
      this.parts = parts;
      this.thread = new Thread(this::run, "cqrs-shutdown-" + service);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void run() {
      boolean ownedYet = false;
      int next = 0;
      while (next < parts.size()) {
        Part part = parts.get(next);
        if (!part.running() && !ownedYet) {
          ownedYet = true;
          awaitClosers(); // the buses and store only once nothing that may use them still runs
        }
        int end = next + 1;
        while (part.together() && end < parts.size() && parts.get(end).together()) {
          end++;
        }
        closeTogether(next, end);
        next = end;
      }
      if (!outcome.compareAndSet(RUNNING, DONE)) {
        // The caller has gone: nobody else will hear of what failed.
        synchronized (failures) {
          failures.forEach(e -> log.warn("cqrs '{}' could not close a part", service, e));
        }
        log.info("cqrs '{}' finished stopping, after its shutdown timeout", service);
      }
    }

    /** If the caller left early, waits for the parts it had closed at once (see abandon). */
    private void awaitClosers() {
      if (outcome.get() != LATE) {
        return;
      }
      try {
        abandoned.await(); // abandon() has started every closer
        for (Thread closer : closers) {
          closer.join();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * Closes the parts from {@code from} to {@code to} (exclusive): one here, several each on a
     * thread of its own, returning when all are closed. What they throw is kept in the parts'
     * order, and the shutdown goes on.
     */
    private void closeTogether(int from, int to) {
      Throwable[] failed = new Throwable[to - from];
      List<Thread> threads = new ArrayList<>();
      for (int i = from; i < to; i++) {
        int index = i;
        Thread closer =
            to - from == 1
                ? null
                : new Thread(
                    () -> failed[index - from] = close(index),
                    thread.getName() + "-" + parts.get(index).name());
        if (closer != null) {
          closer.setDaemon(true);
          try {
            closer.start();
            threads.add(closer);
            continue;
          } catch (Throwable e) { // no thread to be had (OutOfMemoryError): close it here
            log.debug(
                "cqrs '{}' closes {} on the shutdown thread", service, parts.get(index).name(), e);
          }
        }
        failed[index - from] = close(index);
      }
      boolean interrupted = false;
      for (Thread closer : threads) {
        while (true) {
          try {
            closer.join(); // join's happens-before makes failed[] visible here
            break;
          } catch (InterruptedException e) {
            interrupted = true; // nobody interrupts this thread; finish the shutdown regardless
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      for (Throwable failure : failed) {
        if (failure != null) {
          failures.add(failure);
        }
      }
    }

    /** Closes part {@code index}, returning what it threw (an {@link Error} too) or null. */
    private Throwable close(int index) {
      Part part = parts.get(index);
      closing.put(index, part.name());
      try {
        part.close().run();
        return null;
      } catch (Throwable e) { // an Error too: the parts after it must still close
        return e;
      } finally {
        closing.remove(index);
      }
    }

    /** Waits for the shutdown at most {@code timeout}; an interrupt ends the wait. */
    void awaitWithin(Duration timeout) {
      try {
        // At least a millisecond: join(0) would wait for ever. Saturated: a timeout of centuries
        // is as good as for ever.
        long millis =
            timeout.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0
                ? Long.MAX_VALUE
                : Math.max(1, timeout.toMillis());
        thread.join(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * Whether the shutdown has not finished, which leaves it to finish on its own (and log what
     * fails); otherwise every failure is in for {@link #rethrow}.
     */
    boolean leftToFinish() {
      return outcome.compareAndSet(RUNNING, LATE);
    }

    /**
     * Leaves the shutdown to finish on its own: closes every part that runs handlers at once, each
     * on a thread of its own (closing twice is harmless; a closer logs what fails), so that every
     * subscription and processor is being closed before the caller goes on (a bus closed after this
     * finds its subscriptions closing and does not wait for them again); the buses and store this
     * instance made close once those closes are done too.
     */
    void abandon() {
      List<String> open = new ArrayList<>(closing.values());
      String waitingFor = open.isEmpty() ? "nothing" : String.join(", ", open);
      List<CountDownLatch> entered = new ArrayList<>();
      try {
        startClosers(entered);
      } finally {
        abandoned.countDown(); // the shutdown thread waits on it whatever happened here
      }
      // Each closer is on its way into its part's close() before the caller goes on to close what
      // it owns (a bus, whose close would otherwise be the first to wait for a stuck handler). Its
      // first steps are a few instructions; the wait is bounded all the same.
      boolean interrupted = false;
      for (CountDownLatch started : entered) {
        while (true) {
          try {
            started.await(1, TimeUnit.SECONDS);
            break;
          } catch (InterruptedException e) {
            interrupted = true; // the wait is short and bounded: finish it, then say so
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      log.warn(
          "cqrs '{}' did not stop within {}: the shutdown still waits for {} to close (a handler"
              + " that has not returned, or a store or broker slow to answer). Everything else is"
              + " being closed; the buses and store this instance made close once that is done. A"
              + " message still being handled stays unacknowledged (a broker delivers it again); a"
              + " processor segment keeps its claim until the claim runs out and another process"
              + " takes the segment over.",
          service,
          shutdownTimeout,
          waitingFor);
    }

    /** Starts a closer per part that runs handlers, each counting {@code entered} down first. */
    private void startClosers(List<CountDownLatch> entered) {
      for (Part part : parts) {
        if (part.running()) {
          CountDownLatch started = new CountDownLatch(1);
          entered.add(started);
          Thread closer =
              new Thread(
                  () -> {
                    started.countDown();
                    try {
                      part.close().run();
                    } catch (Throwable e) { // logged here: the caller has gone
                      log.warn("cqrs '{}' could not close {}", service, part.name(), e);
                    }
                  },
                  thread.getName() + "-" + part.name());
          closer.setDaemon(true);
          closers.add(closer);
          try {
            closer.start();
          } catch (Throwable e) { // no thread to be had: the shutdown thread closes it in turn
            started.countDown();
            log.warn("cqrs '{}' could not start a thread to close {}", service, part.name(), e);
          }
        }
      }
    }

    /** Throws the first failure to close, the others suppressed in it. */
    void rethrow() {
      if (failures.isEmpty()) {
        return;
      }
      Throwable first = failures.get(0);
      failures.subList(1, failures.size()).forEach(first::addSuppressed);
      if (first instanceof Error error) {
        throw error;
      }
      throw (RuntimeException) first;
    }
  }

  private void requireNew(String what) {
    if (state != State.NEW) {
      throw new IllegalStateException(what + "() must come before start(); this Cqrs is " + state);
    }
  }

  /** Builds a {@link Cqrs}; every setting is optional. */
  public static final class Builder {
    private TypeRegistry types = new TypeRegistry();
    private EventStreamRepository store;
    private CommandBus commandBus;
    private EventBus eventBus;
    private String service = "app";
    private int commandListeners = 1;
    private int eventListeners = 1;
    private final Map<String, Integer> subscriptionListeners = new LinkedHashMap<>();
    private final List<AggregateRegistration> aggregates = new ArrayList<>();

    /** One {@link #aggregate} call, for a registry given after it. */
    private record AggregateRegistration(
        Class<? extends EventSourceBased> type, Class<?>[] events) {}

    private boolean publishAsynchronously;
    private boolean deduplicate = true;
    private boolean lookupProvesEffects;
    private boolean recordNoEffect;
    private boolean deferCacheChecks;
    private boolean relay = true;
    private SnapshotPolicy snapshotPolicy = SnapshotPolicy.whenSuggested();
    private AggregateCache aggregateCache;
    private Interceptors interceptors = Interceptors.none();
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;

    private Builder() {}

    /**
     * The type registry (default: a new one), the one the store's and buses' serializer is made on;
     * {@link #aggregate} registers into it, and aggregates registered before this call are
     * registered into it too.
     */
    public Builder types(TypeRegistry types) {
      Objects.requireNonNull(types, "types");
      // Aggregates registered before went into the registry this one replaces: into this one too,
      // or a types(...) after aggregate(...) would drop them, and every command fail at run time.
      for (AggregateRegistration registered : aggregates) {
        types.registerAggregate(registered.type(), registered.events());
      }
      this.types = types;
      return this;
    }

    /** Registers an aggregate and its events, checking its handlers eagerly. */
    public Builder aggregate(Class<? extends EventSourceBased> aggregateType, Class<?>... events) {
      types.registerAggregate(aggregateType, events);
      aggregates.add(new AggregateRegistration(aggregateType, events.clone()));
      return this;
    }

    /** The event store (default: in memory, closed with this instance). */
    public Builder store(EventStreamRepository store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The command bus (default: in memory, closed with this instance). */
    public Builder commandBus(CommandBus commandBus) {
      this.commandBus = Objects.requireNonNull(commandBus, "commandBus");
      return this;
    }

    /** The event bus (default: in memory, closed with this instance). */
    public Builder eventBus(EventBus eventBus) {
      this.eventBus = Objects.requireNonNull(eventBus, "eventBus");
      return this;
    }

    /**
     * The service name (default {@code "app"}): instances with the same name compete for its
     * commands, and the relay is named after it. It goes into thread names, log lines and the names
     * of queues and processor documents, so it may hold no control character (a line break in it
     * would forge log lines) and no unpaired surrogate.
     *
     * @throws IllegalArgumentException if it is blank or holds such a character
     */
    public Builder service(String service) {
      Objects.requireNonNull(service, "service");
      if (service.isBlank()) {
        throw new IllegalArgumentException("service must not be blank");
      }
      for (int i = 0; i < service.length(); i++) {
        char c = service.charAt(i);
        boolean unpaired =
            Character.isHighSurrogate(c)
                ? i + 1 == service.length() || !Character.isLowSurrogate(service.charAt(++i))
                : Character.isLowSurrogate(c);
        if (Character.isISOControl(c) || unpaired) {
          throw new IllegalArgumentException(
              "service must hold no control characters or unpaired surrogates, was '"
                  + Texts.printable(service)
                  + "'");
        }
      }
      this.service = service;
      return this;
    }

    /** Threads taking commands (default 1). */
    public Builder commandListeners(int commandListeners) {
      this.commandListeners = positive("commandListeners", commandListeners);
      return this;
    }

    /** Threads per event subscription (default 1, which keeps each subscription in order). */
    public Builder eventListeners(int eventListeners) {
      this.eventListeners = positive("eventListeners", eventListeners);
      return this;
    }

    /**
     * Threads of the named subscription, instead of {@link #eventListeners(int)} for it: e.g. more
     * for a process manager whose handlers wait on the store, one for a handler that needs order.
     */
    public Builder eventListeners(String subscription, int listeners) {
      Objects.requireNonNull(subscription, "subscription");
      subscriptionListeners.put(subscription, positive("eventListeners", listeners));
      return this;
    }

    /** See {@link EventSourcingRepository.Builder#publishAsynchronously} (default false). */
    public Builder publishAsynchronously(boolean publishAsynchronously) {
      this.publishAsynchronously = publishAsynchronously;
      return this;
    }

    /**
     * Whether the command dispatch manager also remembers rejections (default true; see {@link
     * CommandDispatchManager.Builder#deduplicate}). Effects are exactly-once either way (unless
     * {@link #lookupProvesEffects} is on and its rule broken).
     */
    public Builder deduplicate(boolean deduplicate) {
      this.deduplicate = deduplicate;
      return this;
    }

    /**
     * Whether the deduplication look-up stands for the store's own check of a command on a cached
     * aggregate (default false; see {@link CommandDispatchManager.Builder#lookupProvesEffects} for
     * what it saves and the rule it needs: every delivery of a message id with one correlation id).
     */
    public Builder lookupProvesEffects(boolean lookupProvesEffects) {
      this.lookupProvesEffects = lookupProvesEffects;
      return this;
    }

    /**
     * Whether a command handled without effect records a {@link CommandHandled}, so that a later
     * delivery is not handled again (default false; see {@link
     * CommandDispatchManager.Builder#recordNoEffect} for its cost and when not to use it).
     */
    public Builder recordNoEffect(boolean recordNoEffect) {
      this.recordNoEffect = recordNoEffect;
      return this;
    }

    /**
     * Whether a command handler's loads from the {@link #aggregateCache} leave their check for
     * later (default false; see {@link CommandDispatchManager.Builder#deferCacheChecks} for what it
     * saves and the rule it needs: a command handler's effects are its saves).
     */
    public Builder deferCacheChecks(boolean deferCacheChecks) {
      this.deferCacheChecks = deferCacheChecks;
      return this;
    }

    /** Whether to run the relay when the store supports it (default true). */
    public Builder relay(boolean relay) {
      this.relay = relay;
      return this;
    }

    /** When to snapshot (default {@link SnapshotPolicy#whenSuggested()}). */
    public Builder snapshotPolicy(SnapshotPolicy snapshotPolicy) {
      this.snapshotPolicy = Objects.requireNonNull(snapshotPolicy, "snapshotPolicy");
      return this;
    }

    /**
     * Caches the latest state of aggregates in this process (none by default); see {@link
     * EventSourcingRepository.Builder#cache} and {@link AggregateCache}, e.g. {@code
     * aggregateCache(AggregateCache.maximumSize(10_000))}.
     */
    public Builder aggregateCache(AggregateCache aggregateCache) {
      this.aggregateCache = Objects.requireNonNull(aggregateCache, "aggregateCache");
      return this;
    }

    /**
     * How long {@link Cqrs#close()} waits for handlers in flight to finish (default {@link
     * #DEFAULT_SHUTDOWN_TIMEOUT}, 30 seconds, as a Spring application's default graceful shutdown
     * phase): a handler that takes longer is left to finish in the background, see {@link
     * Cqrs#close()}.
     *
     * @throws IllegalArgumentException if not positive (any longer duration is taken: the wait is
     *     capped, so a timeout of centuries waits as for ever)
     */
    public Builder shutdownTimeout(Duration shutdownTimeout) {
      Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
      if (shutdownTimeout.isNegative() || shutdownTimeout.isZero()) {
        throw new IllegalArgumentException(
            "shutdownTimeout must be positive, was " + shutdownTimeout);
      }
      this.shutdownTimeout = shutdownTimeout;
      return this;
    }

    /**
     * Adds interceptors (see {@link Interceptors}): each takes part where it implements an
     * interceptor interface, around commands sent and handled, events published and handled by
     * subscriptions and by {@link #processor(String, Projection) processors}, and aggregates loaded
     * and saved. The first one added is the outermost. For metrics, tracing and the SLF4J MDC (see
     * {@link io.cqrs.interceptor.MdcInterceptor}).
     *
     * @throws IllegalArgumentException if one implements no interceptor interface
     */
    public Builder interceptors(Object... interceptors) {
      this.interceptors = this.interceptors.with(interceptors);
      return this;
    }

    /**
     * The instance, not started.
     *
     * @throws IllegalStateException if a type's chain of upcasters has a gap (see {@link
     *     TypeRegistry#validateUpcasters()}), or an aggregate handles an event type that is not
     *     registered ({@link TypeRegistry#validateAggregates()})
     */
    public Cqrs build() {
      return new Cqrs(this);
    }

    private static int positive(String setting, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(setting + " must be >= 1, was " + value);
      }
      return value;
    }
  }
}
