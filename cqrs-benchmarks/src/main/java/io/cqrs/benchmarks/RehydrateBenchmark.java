package io.cqrs.benchmarks;

import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AxonAccount;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.EventMix;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.PlainAccount;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 2: rebuilding one aggregate from {@value #EVENTS} events held in memory. One operation
 * is one whole rehydration.
 *
 * <ul>
 *   <li>{@code handWrittenFold}: the baseline, a loop over the stream's {@code
 *       List<VersionedEvent>} applying each event to a plain object through an {@code instanceof}
 *       chain.
 *   <li>{@code cqrs}: {@link EventSourcingRepository#get} with {@link SnapshotPolicy#never()} over
 *       an {@link InMemoryEventStreamRepository} holding the same envelopes (its {@code load}, a
 *       read-only view of the stream taken under the stream's lock, is part of what is measured).
 *   <li>{@code axon}: Axon Framework 4.13's {@code EventSourcingRepository.load} over an {@code
 *       EmbeddedEventStore} on an {@code InMemoryEventStorageEngine} holding the same events as
 *       {@code GenericDomainEventMessage}s, inside a unit of work that is rolled back afterwards.
 * </ul>
 *
 * <p>The stream is {@code AccountOpened} followed by events of five types in a seeded random order
 * ({@link EventMix#MIXED}). Filling the stores is set-up, not measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
// Axon needs a few seconds of warm-up to reach its steady state; give every variant the same.
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class RehydrateBenchmark {
  /** Events in the stream. */
  static final int EVENTS = 100_000;

  private static final String ID = "account-1";

  private List<VersionedEvent> stream;
  private EventSourcingRepository repository;
  private EmbeddedEventStore axonEventStore;
  private org.axonframework.eventsourcing.EventSourcingRepository<AxonAccount> axonRepository;

  /** Fills all three stores with the same history; not measured. */
  @Setup(Level.Trial)
  public void setUp() {
    List<Object> history = EventMix.MIXED.history(ID, EVENTS);
    TypeRegistry registry = Histories.registry();
    stream = Histories.envelopes(ID, history, registry);
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    store.save(ID, 0, stream);
    repository =
        EventSourcingRepository.builder(store, registry)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();

    InMemoryEventStorageEngine engine = new InMemoryEventStorageEngine();
    engine.appendEvents(Histories.axonMessages(ID, history));
    axonEventStore = EmbeddedEventStore.builder().storageEngine(engine).build();
    axonRepository =
        org.axonframework.eventsourcing.EventSourcingRepository.builder(AxonAccount.class)
            .eventStore(axonEventStore)
            .build();
  }

  /** Stops the Axon event store's threads, if it started any. */
  @TearDown(Level.Trial)
  public void tearDown() {
    axonEventStore.shutDown();
  }

  /** The baseline: a hand-written fold over the stream. */
  @Benchmark
  public PlainAccount handWrittenFold() {
    PlainAccount account = new PlainAccount(ID);
    List<VersionedEvent> events = stream;
    for (int i = 0, n = events.size(); i < n; i++) {
      account.apply(events.get(i).event());
    }
    return account;
  }

  /** cqrs's repository over its in-memory store. */
  @Benchmark
  public BenchAccount cqrs() {
    return repository.get(ID, BenchAccount::new);
  }

  /** Axon 4.13's event-sourcing repository over its in-memory storage engine. */
  @Benchmark
  public AxonAccount axon() throws Exception {
    UnitOfWork<?> unitOfWork = DefaultUnitOfWork.startAndGet(null);
    try {
      return axonRepository.load(ID).invoke(Function.identity());
    } finally {
      unitOfWork.rollback();
    }
  }
}
