package io.cqrs.benchmarks;

import io.cqrs.AggregateCache;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.MoneyDeposited;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU a command handler's repository work costs when the aggregate is cached, without I/O:
 * {@link EventSourcingRepository#get} served from an {@link AggregateCache}, one deposit, {@link
 * EventSourcingRepository#save}. Every distributed command pays this beside its round trips
 * (restoring the cached state, routing, enveloping, putting the committed state back). The store
 * ({@link HeadOnlyStore}) keeps only each stream's version, so the run measures the repository, not
 * a growing heap. One operation is one command; an invocation deposits once into each of {@value
 * #ACCOUNTS} accounts.
 *
 * <ul>
 *   <li>{@code store} (baseline): the store's save of one deposit's envelope alone, the least the
 *       same effect needs.
 *   <li>{@code cachedCommand}: get from the cache, deposit, save.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(CachedCommandBenchmark.ACCOUNTS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CachedCommandBenchmark {
  static final int ACCOUNTS = 100;

  private static final String[] IDS = new String[ACCOUNTS];

  static {
    for (int i = 0; i < ACCOUNTS; i++) {
      IDS[i] = "account-" + i;
    }
  }

  /** The accounts, opened and cached; the store keeps their versions. */
  @State(Scope.Thread)
  public static class Repository {
    final HeadOnlyStore store = new HeadOnlyStore();
    EventSourcingRepository repository;
    final long[] versions = new long[ACCOUNTS];

    @Setup
    public void open() {
      repository =
          EventSourcingRepository.builder(store, Histories.registry())
              .cache(AggregateCache.maximumSize(ACCOUNTS))
              .snapshotPolicy(SnapshotPolicy.never())
              .build();
      for (int i = 0; i < ACCOUNTS; i++) {
        BenchAccount account = new BenchAccount(IDS[i]);
        account.open("alice");
        repository.save(account, "correlation"); // a save caches the committed state
        versions[i] = 1;
      }
    }
  }

  /** The store's save of one deposit, enveloped as the repository would: the baseline. */
  @Benchmark
  public void store(Repository state) {
    for (int i = 0; i < ACCOUNTS; i++) {
      String id = IDS[i];
      long version = state.versions[i]++;
      state.store.save(
          id,
          version,
          List.of(
              VersionedEvent.builder(id, version + 1, new MoneyDeposited(1))
                  .correlationId("correlation")
                  .build()));
    }
  }

  /** A cached load, a deposit and a save, as a command handler does. */
  @Benchmark
  public void cachedCommand(Repository state) {
    for (int i = 0; i < ACCOUNTS; i++) {
      BenchAccount account = state.repository.get(IDS[i], BenchAccount::new);
      account.deposit(1);
      state.repository.save(account, "correlation");
    }
  }
}
