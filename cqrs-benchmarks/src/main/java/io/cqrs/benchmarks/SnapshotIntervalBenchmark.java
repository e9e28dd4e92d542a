package io.cqrs.benchmarks;

import io.cqrs.AggregateCache;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 14, item 3: the snapshot interval, chosen by measurement. One command is what a command
 * handler does on Couchbase (CouchbaseMock in this JVM): {@link EventSourcingRepository#get}, one
 * deposit, {@link EventSourcingRepository#save}, with {@link SnapshotPolicy#every} {@code interval}
 * events. A snapshot makes the loads after it short and costs a write (and the state's
 * serialization) once per interval; a longer interval makes both the snapshot writes rarer and the
 * uncached loads longer (on average half an interval of events after the snapshot).
 *
 * <p>One invocation is one whole interval of commands on one account, from just after a snapshot to
 * the next one, so every position in the cycle is measured exactly once per invocation and the
 * average is the steady state's, whatever the interval. The figure to read is the {@code commands}
 * counter (commands/s); the invocation rate itself depends on the interval.
 *
 * <ul>
 *   <li>{@code cache = false}: every load reads the snapshot and the events after it: what a
 *       process without a cache, or a cache miss (a cold process, an evicted or conflicting
 *       aggregate), pays.
 *   <li>{@code cache = true}: loads come from an {@link AggregateCache} (one probe of the claim
 *       after the cached version); the interval then only decides how often a snapshot is written.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 3)
public class SnapshotIntervalBenchmark {
  private static final String ACCOUNT = "account";

  /** The simulator and a repository snapshotting every {@code interval} events. */
  @State(Scope.Benchmark)
  public static class Server {
    /** Events between snapshots. */
    @Param({"10", "25", "50", "100", "250"})
    public int interval;

    /** Whether the repository keeps aggregates in an {@link AggregateCache}. */
    @Param({"false", "true"})
    public boolean cache;

    private final TypeRegistry registry = Histories.registry();
    private MockCouchbase couchbase;
    private CouchbaseEventStreamRepository store;
    private EventSourcingRepository repository;

    /**
     * Starts the simulator and opens the account with its first interval of events, so that the
     * first invocation starts just after a snapshot; not measured.
     */
    @Setup(Level.Trial)
    public void start() throws Exception {
      couchbase = MockCouchbase.start();
      String prefix = "interval-" + UUID.randomUUID().toString().substring(0, 8);
      store =
          CouchbaseEventStreamRepository.builder(
                  couchbase.collection(), new EventSerializer(registry))
              .keyPrefix(prefix)
              .build();
      EventSourcingRepository.Builder builder =
          EventSourcingRepository.builder(store, registry)
              .snapshotPolicy(SnapshotPolicy.every(interval));
      if (cache) {
        builder.cache(AggregateCache.maximumSize(1_000));
      }
      repository = builder.build();
      BenchAccount account = new BenchAccount(ACCOUNT);
      account.open("alice");
      for (int i = 1; i < interval; i++) {
        account.deposit(1);
      }
      repository.save(account, "setup"); // crosses the first multiple: snapshot at version interval
      if (snapshotVersion() != interval) {
        throw new IllegalStateException("No snapshot at version " + interval);
      }
    }

    /** The version of the account's latest snapshot, for tests. */
    long snapshotVersion() {
      return store.loadSnapshot(ACCOUNT).orElseThrow().version();
    }

    /** Disconnects and stops the simulator. */
    @TearDown(Level.Trial)
    public void stop() {
      store.close();
      couchbase.close();
    }
  }

  /** The commands handled, reported as a rate beside the invocations. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Commands {
    /** Commands handled in this iteration. */
    public long commands;

    /** Starts each iteration's count at zero. */
    @Setup(Level.Iteration)
    public void reset() {
      commands = 0;
    }
  }

  /** One interval of commands: load, deposit, save, the last of which writes a snapshot. */
  @Benchmark
  public long cycle(Server server, Commands commands) {
    long version = 0;
    for (int i = 0; i < server.interval; i++) {
      BenchAccount account = server.repository.get(ACCOUNT, BenchAccount::new);
      account.deposit(1);
      server.repository.save(account, "c");
      version = account.version();
      commands.commands++;
    }
    if (version % server.interval != 0) {
      throw new IllegalStateException("A cycle ended at version " + version);
    }
    return version;
  }
}
