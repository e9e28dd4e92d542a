package io.cqrs.benchmarks;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.AxonAccount;
import io.cqrs.benchmarks.model.AxonDeposit;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.MoneyDeposited;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.axonframework.commandhandling.SimpleCommandBus;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.modelling.command.AggregateAnnotationCommandHandler;
import org.axonframework.modelling.command.inspection.AggregateModel;
import org.axonframework.modelling.command.inspection.AnnotatedAggregateMetaModelFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 3: one command that loads an existing account, deposits into it (one event), saves it
 * and has the event reach a subscriber. One operation is one command.
 *
 * <ul>
 *   <li>{@code cqrsDispatch}: {@link CommandDispatchManager#dispatch} on the calling thread (the
 *       path the command bus's listener runs), handler → {@link EventSourcingRepository} → {@link
 *       InMemoryEventStreamRepository} → {@link InMemoryEventBus} → a {@link
 *       VersionedEventDispatchManager} handler on the bus's listener thread.
 *   <li>{@code cqrsCommandBus}: the same, with each command published on an {@link
 *       InMemoryCommandBus} whose single listener thread runs the dispatch manager.
 *   <li>{@code axon}: Axon Framework 4.13, {@code DefaultCommandGateway.sendAndWait} → {@code
 *       SimpleCommandBus} → {@code AggregateAnnotationCommandHandler} → {@code
 *       EventSourcingRepository} → {@code EmbeddedEventStore} on an {@code
 *       InMemoryEventStorageEngine}, with an event-bus subscriber (Axon calls it synchronously when
 *       the unit of work commits).
 * </ul>
 *
 * <p>Each invocation sends {@value #COMMANDS} commands, one to each of {@value #COMMANDS} accounts
 * that the invocation's set-up has just opened in a fresh, empty store, and waits until the
 * subscriber has seen all {@value #COMMANDS} events. Every command therefore does the same work
 * (load a one-event stream, append one event), however long the run: a store that grew through the
 * run would make later commands replay longer streams, and Axon's in-memory engine scans every
 * stored event on each load. The set-up is not measured; the command envelopes are created inside
 * the measured code on both sides, as a client would.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(CommandPathBenchmark.COMMANDS)
@Fork(1)
// Axon's command path takes 10 s or more of JIT warm-up on two cores to reach its steady state;
// a shorter warm-up would flatter cqrs.
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 2)
public class CommandPathBenchmark {
  /** Commands per invocation, each to its own account. */
  static final int COMMANDS = 100;

  private static final long AWAIT_SECONDS = 30;

  /** The accounts' ids, made once so that no variant pays for building strings. */
  private static final String[] IDS = new String[COMMANDS];

  static {
    for (int i = 0; i < COMMANDS; i++) {
      IDS[i] = "account-" + i;
    }
  }

  /** cqrs wired as an application would wire it in one process. */
  @State(Scope.Benchmark)
  public static class Cqrs {
    private final TypeRegistry registry = Histories.registry();

    /**
     * Each account's opening commit, made once: envelopes are immutable, and every invocation's
     * fresh store can take the same ones, so the set-up, which JMH's allocation figure counts
     * (divided by the {@value #COMMANDS} commands it serves), does not build {@value #COMMANDS}
     * envelopes and their ids each time.
     */
    private final List<List<VersionedEvent>> opened = new ArrayList<>(COMMANDS);

    private InMemoryCommandBus commandBus;
    private InMemoryEventBus eventBus;
    private CommandDispatchManager commands;
    private VersionedEventDispatchManager subscriber;
    private volatile EventSourcingRepository repository;
    private volatile CountDownLatch deposited;

    /** Starts the buses' listener threads and registers the handlers; not measured. */
    @Setup(Level.Trial)
    public void start() {
      for (int i = 0; i < COMMANDS; i++) {
        String id = IDS[i];
        // Immutable, as the store's StreamAppend would otherwise copy each list on every save.
        opened.add(
            List.copyOf(
                Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), registry)));
      }
      commandBus = new InMemoryCommandBus();
      eventBus = new InMemoryEventBus();
      commands =
          CommandDispatchManager.builder(commandBus, registry)
              .build()
              .registerCommandHandler(Deposit.class, this::handle)
              .listen("accounts", 1);
      subscriber =
          new VersionedEventDispatchManager(eventBus, registry)
              .registerEventHandler(MoneyDeposited.class, event -> deposited.countDown())
              .listen("deposits", 1);
    }

    /**
     * Opens {@value #COMMANDS} accounts in a fresh store, their opening events marked published as
     * the repository would have marked them; not measured.
     */
    @Setup(Level.Invocation)
    public void openAccounts() {
      InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
      for (int i = 0; i < COMMANDS; i++) {
        store.save(IDS[i], 0, opened.get(i));
        store.markPublished(IDS[i], 1, 1);
      }
      deposited = new CountDownLatch(COMMANDS);
      repository = EventSourcingRepository.builder(store, registry).publisher(eventBus).build();
    }

    private void handle(Deposit deposit, Command command) {
      EventSourcingRepository accounts = repository;
      BenchAccount account = accounts.get(deposit.accountId(), BenchAccount::new);
      account.deposit(deposit.amount());
      accounts.save(account, command);
    }

    /** The balance of the {@code i}th account in the current store, for the consistency tests. */
    long balance(int i) {
      return repository.get(IDS[i], BenchAccount::new).state().balance();
    }

    void awaitDeposits() throws InterruptedException {
      if (!deposited.await(AWAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "Only "
                + (COMMANDS - deposited.getCount())
                + " of "
                + COMMANDS
                + " deposits reached the subscriber; dead letters: "
                + commandBus.deadLetters()
                + eventBus.deadLetters());
      }
    }

    /** Stops the listener threads. */
    @TearDown(Level.Trial)
    public void stop() {
      commands.close();
      subscriber.close();
      commandBus.close();
      eventBus.close();
    }
  }

  /** Axon Framework 4.13 wired with its simple, synchronous, in-memory components. */
  @State(Scope.Benchmark)
  public static class Axon {
    /** Each account's opening message, made once, as on cqrs's side. */
    private final List<List<DomainEventMessage<?>>> opened = new ArrayList<>(COMMANDS);

    {
      for (int i = 0; i < COMMANDS; i++) {
        String id = IDS[i];
        opened.add(Histories.axonMessages(id, List.of(new AccountOpened(id, "alice"))));
      }
    }

    private final AggregateModel<AxonAccount> model =
        AnnotatedAggregateMetaModelFactory.inspectAggregate(AxonAccount.class);
    private final AtomicInteger deposited = new AtomicInteger();
    private EmbeddedEventStore eventStore;
    private CommandGateway gateway;

    /**
     * Opens {@value #COMMANDS} accounts in a fresh storage engine and wires a new bus to it; not
     * measured. Axon's components take their event store when built, so all are built anew.
     */
    @Setup(Level.Invocation)
    public void openAccounts() {
      InMemoryEventStorageEngine engine = new InMemoryEventStorageEngine();
      for (int i = 0; i < COMMANDS; i++) {
        engine.appendEvents(opened.get(i));
      }
      eventStore = EmbeddedEventStore.builder().storageEngine(engine).build();
      eventStore.subscribe(
          events ->
              events.forEach(
                  event -> {
                    if (event.getPayload() instanceof MoneyDeposited) {
                      deposited.incrementAndGet();
                    }
                  }));
      org.axonframework.eventsourcing.EventSourcingRepository<AxonAccount> repository =
          org.axonframework.eventsourcing.EventSourcingRepository.builder(AxonAccount.class)
              .aggregateModel(model)
              .eventStore(eventStore)
              .build();
      SimpleCommandBus commandBus = SimpleCommandBus.builder().build();
      AggregateAnnotationCommandHandler.<AxonAccount>builder()
          .aggregateType(AxonAccount.class)
          .aggregateModel(model)
          .repository(repository)
          .build()
          .subscribe(commandBus);
      gateway = DefaultCommandGateway.builder().commandBus(commandBus).build();
      deposited.set(0);
    }

    /** How many deposits the subscriber saw since the last set-up. */
    int deposited() {
      return deposited.get();
    }

    /** Checks every command took effect, then stops the event store. */
    @TearDown(Level.Invocation)
    public void check() {
      eventStore.shutDown();
      if (deposited.get() != COMMANDS) {
        throw new IllegalStateException(
            "Only " + deposited.get() + " of " + COMMANDS + " deposits reached the subscriber");
      }
    }
  }

  /** cqrs, each command dispatched on the calling thread. */
  @Benchmark
  public void cqrsDispatch(Cqrs cqrs) throws Exception {
    for (int i = 0; i < COMMANDS; i++) {
      cqrs.commands.dispatch(Command.create(new Deposit(IDS[i], 1)));
    }
    cqrs.awaitDeposits();
  }

  /** cqrs, each command published on the in-memory command bus. */
  @Benchmark
  public void cqrsCommandBus(Cqrs cqrs) throws InterruptedException {
    for (int i = 0; i < COMMANDS; i++) {
      cqrs.commandBus.publish(Command.create(new Deposit(IDS[i], 1)));
    }
    cqrs.awaitDeposits();
  }

  /** Axon 4.13, each command sent through the gateway and waited for. */
  @Benchmark
  public void axon(Axon axon) {
    for (int i = 0; i < COMMANDS; i++) {
      axon.gateway.sendAndWait(new AxonDeposit(IDS[i], 1));
    }
  }
}
