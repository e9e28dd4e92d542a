package io.cqrs;

import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Stress-checks {@link EventSourcingRepository} with an {@link AggregateCache} against {@link
 * Model}, a wallet that one operation at a time deposits into: two "processes" (two repositories,
 * each with its own cache) over one in-memory store, their loads and saves racing each other and
 * the threads of the same process. A load served from a cache that another writer made stale, or a
 * save that puts back a state another save has passed, would lose or repeat a deposit, which the
 * balances and versions the operations return would show.
 *
 * <p>Writers retry on {@link ConcurrencyException}, reloading, as a command handler's dispatcher
 * does; a deposit made as the effect of a command is refused as a duplicate once the stream holds
 * it.
 *
 * <p>Stress only, not model checking: under the model checker a repository's first look at the
 * wallet (Jackson's introspection of it, for the cache's serialized state) did not finish within
 * Lincheck's hang timeout. Repositories made once outside the checker and shared could not be used
 * either: inside it, a class registered in their type registry was reported unknown, apparently
 * because the checker's own identity hash codes miss class-keyed tables filled outside it.
 */
@Param(name = "process", gen = IntGen.class, conf = "0:1")
@Param(name = "amount", gen = IntGen.class, conf = "1:2")
@Param(name = "command", gen = IntGen.class, conf = "0:1")
public class AggregateCacheLincheckTest {
  private static final String WALLET = "w";
  private static final TypeRegistry TYPES = Wallet.types();
  private static final Command[] COMMANDS = new Command[2];

  static {
    for (int c = 0; c < COMMANDS.length; c++) {
      COMMANDS[c] =
          Command.builder(new Wallet.Deposited(commandAmount(c)))
              .messageId("cmd" + c)
              .correlationId("correlation")
              .created(Instant.parse("2026-01-01T00:00:00Z"))
              .build();
    }
  }

  /** A command's deposit: 10 or 100, so that a balance tells which deposits it holds. */
  private static BigDecimal commandAmount(int command) {
    return BigDecimal.TEN.pow(command + 1);
  }

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository[] processes = {process(), process()};

  public AggregateCacheLincheckTest() {
    // Opened through process 0: its cache holds the wallet from the start, process 1's does not.
    processes[0].save(Wallet.open(WALLET, "ada"), "correlation");
  }

  private EventSourcingRepository process() {
    return EventSourcingRepository.builder(store, TYPES)
        .snapshotPolicy(SnapshotPolicy.never())
        .cache(AggregateCache.maximumSize(10))
        .build();
  }

  /** Deposits {@code amount}, retrying on conflicts; the version its commit reached. */
  @Operation
  public long deposit(@Param(name = "process") int process, @Param(name = "amount") int amount) {
    EventSourcingRepository repository = processes[process];
    while (true) {
      Wallet wallet = repository.get(WALLET, Wallet::new);
      wallet.deposit(BigDecimal.valueOf(amount));
      try {
        repository.save(wallet, "correlation");
        return wallet.version();
      } catch (ConcurrencyException e) {
        // another writer got there first: reload and retry
      }
    }
  }

  /**
   * Deposits as the effect of a command, retrying on conflicts: the version its commit reached, or
   * -1 if the stream already held the command's effect.
   */
  @Operation
  public long depositFor(
      @Param(name = "process") int process, @Param(name = "command") int command) {
    EventSourcingRepository repository = processes[process];
    while (true) {
      Wallet wallet = repository.get(WALLET, Wallet::new);
      wallet.deposit(commandAmount(command));
      try {
        repository.save(wallet, COMMANDS[command]);
        return wallet.version();
      } catch (ConcurrencyException e) {
        // another writer got there first: reload and retry
      } catch (DuplicateCommandException e) {
        return -1;
      }
    }
  }

  /** The wallet as a process loads it: its balance and version. */
  @Operation
  public String balance(@Param(name = "process") int process) {
    Wallet wallet = processes[process].get(WALLET, Wallet::new);
    return wallet.balance().toPlainString() + " at " + wallet.version();
  }

  /** The store's stream itself: its version. */
  @Operation
  public long version() {
    return store.version(WALLET);
  }

  @Test
  void stress() {
    new StressOptions()
        .iterations(6)
        .invocationsPerIteration(100)
        .threads(3)
        .actorsPerThread(3)
        .actorsBefore(1)
        .actorsAfter(2)
        .sequentialSpecification(Model.class)
        .check(getClass());
  }

  /** The wallet one operation at a time: opened at version 1, each deposit one more version. */
  public static final class Model {
    private BigDecimal balance = BigDecimal.ZERO;
    private long version = 1;
    private final Set<Integer> commands = new HashSet<>();

    public long deposit(int process, int amount) {
      balance = balance.add(BigDecimal.valueOf(amount));
      return ++version;
    }

    public long depositFor(int process, int command) {
      if (!commands.add(command)) {
        return -1;
      }
      balance = balance.add(commandAmount(command));
      return ++version;
    }

    public String balance(int process) {
      return balance.toPlainString() + " at " + version;
    }

    public long version() {
      return version;
    }
  }
}
