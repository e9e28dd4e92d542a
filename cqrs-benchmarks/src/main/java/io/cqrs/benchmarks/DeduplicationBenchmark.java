package io.cqrs.benchmarks;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 12, in memory: the command path with and without deduplication. One operation is one
 * command dispatched on the calling thread through {@link CommandDispatchManager#dispatch}: load
 * the account from an {@link InMemoryEventStreamRepository}, deposit (one event), save. The
 * variants are the three of {@link Deduplication}: {@code without} (baseline, saved under the
 * correlation id), {@code atomic} (saved with the command) and {@code atomicAndLookup} (saved with
 * the command, and the manager's {@code deduplicate(true)} look-up).
 *
 * <p>No event bus: publication does the same work whatever deduplicates the command, and leaving it
 * out makes the ratio stricter, not kinder. As in {@link CommandPathBenchmark}, each invocation
 * sends {@value #COMMANDS} commands, one to each of {@value #COMMANDS} accounts that its set-up has
 * just opened in a fresh store, so every command replays a one-event stream and appends one event.
 * Three forks per variant, since a 10% target needs the spread between JVMs in the error bars.
 *
 * <p>The whole path runs on the calling thread, so its CPU time per command is counted too ({@link
 * CpuTime}): on a machine shared with other work, wall-clock throughput measures the neighbours as
 * much as the code, and the thread's own CPU time much less so.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(DeduplicationBenchmark.COMMANDS)
@Fork(3)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class DeduplicationBenchmark {
  /** Commands per invocation, each to its own account. */
  static final int COMMANDS = 100;

  private static final String[] IDS = new String[COMMANDS];

  static {
    for (int i = 0; i < COMMANDS; i++) {
      IDS[i] = "account-" + i;
    }
  }

  /** A fresh store with {@value #COMMANDS} open accounts, and a manager per variant. */
  @State(Scope.Benchmark)
  public static class Accounts {
    private final TypeRegistry registry = Histories.registry();
    private EventSourcingRepository repository;
    private CommandDispatchManager without;
    private CommandDispatchManager atomic;
    private CommandDispatchManager atomicAndLookup;

    /**
     * Opens the accounts in a new store, and builds the managers on it (the look-up's error log is
     * the store); not measured.
     */
    @Setup(Level.Invocation)
    public void openAccounts() {
      InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
      for (String id : IDS) {
        store.save(
            id, 0, Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), registry));
      }
      repository = EventSourcingRepository.builder(store, registry).build();
      without = Deduplication.WITHOUT.manager(repository);
      atomic = Deduplication.ATOMIC.manager(repository);
      atomicAndLookup = Deduplication.ATOMIC_AND_LOOKUP.manager(repository);
    }

    /** The {@code i}th account in the current store, for the tests. */
    BenchAccount account(int i) {
      return repository.get(IDS[i], BenchAccount::new);
    }

    /** The manager of {@code variant} on the current store, for the tests. */
    CommandDispatchManager manager(Deduplication variant) {
      return switch (variant) {
        case WITHOUT -> without;
        case ATOMIC -> atomic;
        case ATOMIC_AND_LOOKUP -> atomicAndLookup;
      };
    }
  }

  /**
   * The CPU time the measuring thread spent in the measured commands. JMH reports the public
   * accessors as event counters summed over the measured iterations; CPU time per command is {@code
   * cpuNanos / commands}. Work on other threads (the JIT, the garbage collector) is not in it.
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class CpuTime {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long commands;
    private long cpuNanos;

    /** Checks the JVM can measure a thread's CPU time; not measured. */
    @Setup(Level.Trial)
    public void check() {
      if (!threads.isCurrentThreadCpuTimeSupported()) {
        throw new IllegalStateException("This JVM cannot measure a thread's CPU time");
      }
      threads.setThreadCpuTimeEnabled(true);
    }

    /** Starts the iteration's counts at zero. */
    @Setup(Level.Iteration)
    public void reset() {
      commands = 0;
      cpuNanos = 0;
    }

    /** Commands sent in the iteration. */
    public long commands() {
      return commands;
    }

    /** CPU time the iteration's commands took on the measuring thread, in nanoseconds. */
    public long cpuNanos() {
      return cpuNanos;
    }

    /** Sends one deposit to each account, timing this thread's CPU. */
    void send(CommandDispatchManager manager) throws Exception {
      long start = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < COMMANDS; i++) {
        manager.dispatch(Command.create(new Deposit(IDS[i], 1)));
      }
      cpuNanos += threads.getCurrentThreadCpuTime() - start;
      commands += COMMANDS;
    }
  }

  /** Baseline: saved under the correlation id; nothing deduplicates the command. */
  @Benchmark
  public void without(Accounts accounts, CpuTime cpu) throws Exception {
    cpu.send(accounts.without);
  }

  /** Saved with the command: the store refuses a second effect in the commit's own step. */
  @Benchmark
  public void atomic(Accounts accounts, CpuTime cpu) throws Exception {
    cpu.send(accounts.atomic);
  }

  /** Saved with the command, and the manager's {@code deduplicate(true)} look-up first. */
  @Benchmark
  public void atomicAndLookup(Accounts accounts, CpuTime cpu) throws Exception {
    cpu.send(accounts.atomicAndLookup);
  }
}
