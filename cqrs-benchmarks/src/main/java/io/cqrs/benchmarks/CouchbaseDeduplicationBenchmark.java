package io.cqrs.benchmarks;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.couchbase.testing.KvOperationCounter;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 12, on Couchbase: the command path with and without deduplication against CouchbaseMock in
 * this JVM, and the key-value operations each command costs. One operation is one command
 * dispatched through {@link CommandDispatchManager#dispatch} on the calling thread: load the
 * account from a {@link CouchbaseEventStreamRepository}, deposit (one event), save. The variants
 * are the three of {@link Deduplication}, as in {@link DeduplicationBenchmark}.
 *
 * <p>{@value #THREADS} threads send commands at once. Each invocation sends {@value #COMMANDS}
 * commands, one to each of {@value #COMMANDS} accounts that the thread's set-up has just opened (a
 * one-event stream each, under new ids), so every command does the same work however long the run.
 *
 * <p>Besides ops/s, the SDK's operations are counted ({@link KvOperationCounter}, the connection's
 * request tracer) per thread while it runs the measured commands, and reported as JMH event
 * counters: {@code commands}, {@code kvOperations} (operations started) and {@code roundTrips}
 * (stretches of time the thread waited with an operation in flight: operations sent in parallel
 * count once). The set-up's writes are not counted. A run in which the SDK started an operation on
 * a thread of its own (which could not be attributed to a command) fails at its end rather than
 * under-count.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(CouchbaseDeduplicationBenchmark.COMMANDS)
@Fork(1)
@Threads(CouchbaseDeduplicationBenchmark.THREADS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CouchbaseDeduplicationBenchmark {
  /** Threads sending commands at once. */
  static final int THREADS = 8;

  /** Commands per invocation, each to its own newly opened account. */
  static final int COMMANDS = 10;

  /** The simulator, counted through its SDK connection, and a manager per variant. */
  @State(Scope.Benchmark)
  public static class Server {
    private final TypeRegistry registry = Histories.registry();
    private final KvOperationCounter counter = new KvOperationCounter();
    private final AtomicInteger threads = new AtomicInteger();
    private MockCouchbase couchbase;
    private CouchbaseEventStreamRepository store;
    private CommandDispatchManager without;
    private CommandDispatchManager atomic;
    private CommandDispatchManager atomicAndLookup;

    /** Starts the simulator and builds the repository and the managers; not measured. */
    @Setup(Level.Trial)
    public void start() throws Exception {
      couchbase = MockCouchbase.start(counter);
      store =
          CouchbaseEventStreamRepository.builder(
                  couchbase.collection(), new EventSerializer(registry))
              .keyPrefix("dedup-" + UUID.randomUUID().toString().substring(0, 8))
              .build();
      EventSourcingRepository repository = EventSourcingRepository.builder(store, registry).build();
      without = Deduplication.WITHOUT.manager(repository);
      atomic = Deduplication.ATOMIC.manager(repository);
      atomicAndLookup = Deduplication.ATOMIC_AND_LOOKUP.manager(repository);
    }

    /**
     * Opens an account: a one-event stream, recording its aggregate type as the repository would,
     * so that each command's load and save check it.
     */
    void open(String id) {
      store.save(
          StreamAppend.of(
                  id, 0, Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), registry))
              .withAggregateType(TypeRegistry.logicalName(BenchAccount.class)));
    }

    /** The counter of the SDK's operations. */
    KvOperationCounter counter() {
      return counter;
    }

    /** The repository, for the tests. */
    CouchbaseEventStreamRepository store() {
      return store;
    }

    /** The manager of {@code variant}, for the tests. */
    CommandDispatchManager manager(Deduplication variant) {
      return switch (variant) {
        case WITHOUT -> without;
        case ATOMIC -> atomic;
        case ATOMIC_AND_LOOKUP -> atomicAndLookup;
      };
    }

    /**
     * Disconnects and stops the simulator, after checking that every operation was attributed.
     *
     * @throws IllegalStateException if the SDK started operations on its own threads during the
     *     measured commands: the counts would then miss them
     */
    @TearDown(Level.Trial)
    public void stop() {
      try {
        if (counter.unattributed() != 0) {
          throw new IllegalStateException(
              counter.unattributed()
                  + " KV operations were started on threads that run no command; the counts"
                  + " per command would leave them out");
        }
      } finally {
        store.close();
        couchbase.close();
      }
    }
  }

  /**
   * One thread's accounts and counts. JMH reports the public accessors as event counters summed
   * over threads and iterations; KV operations per command is {@code kvOperations / commands}.
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Commands {
    private final KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
    private final String[] ids = new String[COMMANDS];
    private String prefix;
    private long opened;
    private long sent;

    /** Names this thread's accounts apart from the other threads'; not measured. */
    @Setup(Level.Trial)
    public void enrol(Server server) {
      server.counter().enrol();
      prefix = "t" + server.threads.incrementAndGet() + "-";
    }

    /** Starts the iteration's counts at zero. */
    @Setup(Level.Iteration)
    public void reset() {
      tally.reset();
      sent = 0;
    }

    /** Opens {@value #COMMANDS} new accounts for the next invocation; not measured or counted. */
    @Setup(Level.Invocation)
    public void openAccounts(Server server) {
      for (int i = 0; i < COMMANDS; i++) {
        ids[i] = prefix + ++opened;
        server.open(ids[i]);
      }
    }

    /** Commands sent in the iteration. */
    public long commands() {
      return sent;
    }

    /** KV operations the iteration's commands started. */
    public long kvOperations() {
      return tally.operations();
    }

    /** Requests the iteration's commands sent: their KV operations and any retries. */
    public long kvDispatches() {
      return tally.dispatches();
    }

    /** Sequential round trips the iteration's commands waited for. */
    public long roundTrips() {
      return tally.roundTrips();
    }

    /** Sends one deposit to each account opened for this invocation, counting the SDK's work. */
    void send(Server server, CommandDispatchManager manager) throws Exception {
      KvOperationCounter counter = server.counter();
      counter.start(tally);
      try {
        for (String id : ids) {
          manager.dispatch(Command.create(new Deposit(id, 1)));
        }
      } finally {
        counter.stop();
      }
      sent += COMMANDS;
    }

    /** The accounts opened for the next invocation, for the tests. */
    String[] accounts() {
      return ids.clone();
    }

    /** The tally, for the tests. */
    KvOperationCounter.Tally tally() {
      return tally;
    }
  }

  /** Baseline: saved under the correlation id; nothing deduplicates the command. */
  @Benchmark
  public void without(Server server, Commands commands) throws Exception {
    commands.send(server, server.without);
  }

  /** Saved with the command: checked and recorded in the save's own lookup and writes. */
  @Benchmark
  public void atomic(Server server, Commands commands) throws Exception {
    commands.send(server, server.atomic);
  }

  /** Saved with the command, and the manager's {@code deduplicate(true)} look-up first. */
  @Benchmark
  public void atomicAndLookup(Server server, Commands commands) throws Exception {
    commands.send(server, server.atomicAndLookup);
  }
}
