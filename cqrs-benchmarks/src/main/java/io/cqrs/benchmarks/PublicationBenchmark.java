package io.cqrs.benchmarks;

import io.cqrs.EventProcessor;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.SubscribingEventProcessor;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * Issue 6: the publication relay's and the projection helper's overhead, end to end in memory. One
 * operation is one event from commit to read model: a new account is opened and saved through
 * {@link EventSourcingRepository} on an {@link InMemoryEventStreamRepository}, published on an
 * {@link InMemoryEventBus}, and applied to a read model (a map of account to owner) on the bus's
 * listener thread. Each invocation saves {@value #EVENTS} accounts and waits until the read model
 * has applied all of them.
 *
 * <ul>
 *   <li>{@code without} (baseline): the store is wrapped so that it is not a {@code RelayStore}
 *       (the repository marks nothing published), no relay runs, and the read model is a {@link
 *       VersionedEventDispatchManager} handler.
 *   <li>{@code with}: the repository marks every commit published in the store after publishing it,
 *       an {@link EventRelay} (default settings: 200 ms poll, 2 s grace) walks the integration log
 *       on its own thread, and the read model is a {@link Projection} fed by a {@link
 *       SubscribingEventProcessor}, whose version gate checks each event's version against the
 *       applied version the read model keeps (until issue 13 the same gate was the {@code
 *       Projector}'s).
 * </ul>
 *
 * <p>Three diagnostic variants (no target) take the parts of {@code with} one at a time, so that a
 * report shows where its cost lies: {@code marksOnly} (marks, no relay, the dispatch-manager read
 * model), {@code marksAndRelay} (marks and a running relay, the dispatch-manager read model) and
 * {@code projectorOnly} (no marks, no relay, the version-gated read model). A relay without marks
 * is not one of them: it would publish every event again once the grace period passed.
 *
 * <p>Each iteration starts with a new store, relay and subscription, so the store never grows
 * beyond one iteration's events. An iteration still keeps a few hundred thousand events, and with
 * the JVM's default heap (growing from a small start) young-collection pauses took more than half
 * of the wall time and made the variants' figures swing by a factor of two; every fork therefore
 * runs with the same fixed 4 GiB heap.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(PublicationBenchmark.EVENTS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class PublicationBenchmark {
  /** Events per invocation, each the first of a new stream. */
  static final int EVENTS = 1_000;

  private static final long AWAIT_SECONDS = 30;

  /** One end-to-end pipeline, rebuilt each iteration, with the parts of publication it names. */
  public abstract static class Pipeline {
    private final boolean marks;
    private final boolean relayed;
    private final boolean projected;

    private final TypeRegistry registry = Histories.registry();
    private final AtomicLong accounts = new AtomicLong();
    private final Map<String, Owner> readModel = new ConcurrentHashMap<>();
    private InMemoryEventStreamRepository store;
    private InMemoryEventBus bus;
    private EventRelay relay;
    private EventProcessor subscription;
    private VersionedEventDispatchManager dispatcher;
    private EventSourcingRepository repository;
    private volatile CountDownLatch applied;

    /**
     * @param marks whether the repository marks commits published (else the store is hidden behind
     *     {@link UnmarkedStore})
     * @param relayed whether an {@link EventRelay} runs (only with marks: without them it would
     *     publish everything again once the grace period passed)
     * @param projected whether the read model sits behind a version gate (a {@link
     *     SubscribingEventProcessor} with a projection; else it is a {@link
     *     VersionedEventDispatchManager} handler)
     */
    Pipeline(boolean marks, boolean relayed, boolean projected) {
      this.marks = marks;
      this.relayed = relayed;
      this.projected = projected;
    }

    /** The read model's entry: the owner and the stream's applied version, written together. */
    record Owner(String owner, long version) {}

    /** Builds the pipeline on a new store; not measured. */
    @Setup(Level.Iteration)
    public void start() throws Exception {
      bus = new InMemoryEventBus();
      readModel.clear();
      store = new InMemoryEventStreamRepository();
      if (relayed) {
        relay = EventRelay.builder(store, bus).build().start();
      }
      if (projected) {
        SubscribingEventProcessor processor =
            EventProcessor.subscribing("owners", bus, store)
                .projection(new OwnerProjection())
                .build();
        processor.start();
        subscription = processor;
      } else {
        dispatcher =
            new VersionedEventDispatchManager(bus, registry)
                .registerEventHandler(AccountOpened.class, this::apply)
                .listen("owners", 1);
      }
      repository =
          EventSourcingRepository.builder(marks ? store : new UnmarkedStore(store), registry)
              .publisher(bus)
              .build();
    }

    private void apply(VersionedEvent event) {
      AccountOpened opened = (AccountOpened) event.event();
      readModel.put(event.sourceId(), new Owner(opened.owner(), event.version()));
      applied.countDown();
    }

    /** The version-gated read model: the same map, the same write. */
    private final class OwnerProjection implements Projection {
      @Override
      public long appliedVersion(String streamId) {
        Owner owner = readModel.get(streamId);
        return owner == null ? 0 : owner.version();
      }

      @Override
      public void apply(VersionedEvent event) {
        Pipeline.this.apply(event);
      }
    }

    /** A fresh count for the invocation. */
    @Setup(Level.Invocation)
    public void reset() {
      applied = new CountDownLatch(EVENTS);
    }

    /** How many streams the read model holds, for tests. */
    int applied() {
      return readModel.size();
    }

    /** How many log entries are marked published, for tests. */
    long marked() {
      return store.readLog(1, Integer.MAX_VALUE).stream().filter(LoggedEvent::published).count();
    }

    /** Whether a relay runs, for tests. */
    boolean relaying() {
      return relay != null;
    }

    /** Whether the read model sits behind a version gate, for tests. */
    boolean projecting() {
      return subscription != null;
    }

    /** Stops the relay and the listener. */
    @TearDown(Level.Iteration)
    public void stop() {
      if (relay != null) {
        relay.close();
        relay = null;
      }
      if (subscription != null) {
        subscription.close();
        subscription = null;
      }
      if (dispatcher != null) {
        dispatcher.close();
        dispatcher = null;
      }
      bus.close();
    }
  }

  /** The pipeline without marks, relay or version gate. */
  @State(Scope.Benchmark)
  public static class Without extends Pipeline {
    public Without() {
      super(false, false, false);
    }
  }

  /** The pipeline with marks, a running relay and the read model behind a version gate. */
  @State(Scope.Benchmark)
  public static class With extends Pipeline {
    public With() {
      super(true, true, true);
    }
  }

  /** Diagnostic: marks alone, no relay, a dispatch-manager read model. */
  @State(Scope.Benchmark)
  public static class MarksOnly extends Pipeline {
    public MarksOnly() {
      super(true, false, false);
    }
  }

  /** Diagnostic: marks and a running relay, a dispatch-manager read model. */
  @State(Scope.Benchmark)
  public static class MarksAndRelay extends Pipeline {
    public MarksAndRelay() {
      super(true, true, false);
    }
  }

  /** Diagnostic: the version gate alone, no marks and no relay. */
  @State(Scope.Benchmark)
  public static class ProjectorOnly extends Pipeline {
    public ProjectorOnly() {
      super(false, false, true);
    }
  }

  /** Baseline: no publication marks, no relay, a plain dispatch-manager read model. */
  @Benchmark
  public void without(Without pipeline) throws InterruptedException {
    commitToReadModel(pipeline);
  }

  /** With publication marks, a running relay and a version-gated read model. */
  @Benchmark
  public void with(With pipeline) throws InterruptedException {
    commitToReadModel(pipeline);
  }

  /** Diagnostic (no target): what the publication marks alone cost. */
  @Benchmark
  public void marksOnly(MarksOnly pipeline) throws InterruptedException {
    commitToReadModel(pipeline);
  }

  /** Diagnostic (no target): what the marks and a running relay cost, without the gate. */
  @Benchmark
  public void marksAndRelay(MarksAndRelay pipeline) throws InterruptedException {
    commitToReadModel(pipeline);
  }

  /** Diagnostic (no target): what the version gate alone costs. */
  @Benchmark
  public void projectorOnly(ProjectorOnly pipeline) throws InterruptedException {
    commitToReadModel(pipeline);
  }

  /** Saves {@value #EVENTS} new accounts and waits until the read model has them all. */
  private static void commitToReadModel(Pipeline pipeline) throws InterruptedException {
    for (int i = 0; i < EVENTS; i++) {
      String id = "account-" + pipeline.accounts.incrementAndGet();
      BenchAccount account = new BenchAccount(id);
      account.open("alice");
      // Each account its own correlation id, as each command would have.
      pipeline.repository.save(account, id);
    }
    if (!pipeline.applied.await(AWAIT_SECONDS, TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "Only " + (EVENTS - pipeline.applied.getCount()) + " of " + EVENTS + " were applied");
    }
  }
}
