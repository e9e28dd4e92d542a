package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link CommandDispatchManager.Builder#deferCacheChecks} where a command handler dispatches
 * another command on its own thread, and where a handler handles its save's conflict itself: what
 * the handler loaded unchecked must not decide the nested command's effect or outcome, nor make the
 * nested command retry a conflict only the handler's own retry can resolve, and a save refused as
 * stale does not count as having checked the load.
 */
class DeferredCacheChecksNestingTest {
  record Deposit(String walletId, BigDecimal amount) {}

  record Withdraw(String walletId, BigDecimal amount) {}

  /**
   * Tops {@code source} up by one through a nested command, then deposits into {@code target} what
   * {@code source} held when loaded.
   */
  record TopUpThenMatch(String source, String target) {}

  /** Reads {@code source}, then deposits one into {@code target} through a nested command. */
  record ReadThenDepositElsewhere(String source, String target) {}

  /** Hands a withdrawal on to another manager, which does not defer its checks. */
  record WithdrawThroughOther(String walletId, BigDecimal amount) {}

  /** Deposits; a conflict on its save is answered with a rejection. */
  record DepositOrGiveUp(String walletId, BigDecimal amount) {}

  static final class Busy extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Busy(String walletId) {
      super("Wallet " + walletId + " is busy");
    }
  }

  private static final TypeRegistry TYPES =
      Wallet.types()
          .registerCommands(
              Deposit.class,
              Withdraw.class,
              TopUpThenMatch.class,
              ReadThenDepositElsewhere.class,
              WithdrawThroughOther.class,
              DepositOrGiveUp.class);

  private final StaleCaches fixture = new StaleCaches(TYPES);
  private final ObservedStore store = fixture.store;
  private final EventSourcingRepository repository = fixture.repository;
  private final AtomicInteger deposits = new AtomicInteger();

  /** A manager that does not defer its checks, for commands handed on to it. */
  private final CommandDispatchManager other =
      CommandDispatchManager.builder(null, TYPES)
          .errorLog(store)
          .deduplicate(true)
          .build()
          .registerCommandHandler(
              Withdraw.class,
              (command, envelope) -> {
                Wallet wallet = repository.get(command.walletId(), Wallet::new);
                wallet.withdraw(command.amount());
                repository.save(wallet, envelope);
              });

  private CommandDispatchManager manager() {
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, TYPES)
            .errorLog(store)
            .deduplicate(true)
            .lookupProvesEffects(true)
            .deferCacheChecks(true)
            .build();
    return manager
        .registerCommandHandler(
            Deposit.class,
            (command, envelope) -> {
              deposits.incrementAndGet();
              Wallet wallet = repository.get(command.walletId(), Wallet::new);
              wallet.deposit(command.amount());
              repository.save(wallet, envelope);
            })
        .registerCommandHandler(
            TopUpThenMatch.class,
            (command, envelope) -> {
              BigDecimal held = repository.get(command.source(), Wallet::new).balance();
              manager.dispatch(Command.create(new Deposit(command.source(), BigDecimal.ONE)));
              Wallet target = repository.get(command.target(), Wallet::new);
              target.deposit(held);
              repository.save(target, envelope);
            })
        .registerCommandHandler(
            ReadThenDepositElsewhere.class,
            (command, envelope) -> {
              repository.get(command.source(), Wallet::new);
              manager.dispatch(Command.create(new Deposit(command.target(), BigDecimal.ONE)));
            })
        .registerCommandHandler(
            WithdrawThroughOther.class,
            (command, envelope) ->
                other.dispatch(
                    Command.create(
                        new Withdraw(command.walletId(), command.amount()),
                        envelope.correlationId())))
        .registerCommandHandler(
            DepositOrGiveUp.class,
            (command, envelope) -> {
              Wallet wallet = repository.get(command.walletId(), Wallet::new);
              wallet.deposit(command.amount());
              try {
                repository.save(wallet, envelope);
              } catch (ConcurrencyException e) {
                throw new Busy(command.walletId());
              }
            });
  }

  /**
   * The nested command saves the aggregate the handler loaded, at the version the handler loaded it
   * at: its refused commit must not count as the handler's load checked, or the handler goes on to
   * save what it read from the stale entry.
   */
  @Test
  void a_nested_command_refused_on_a_stale_entry_leaves_the_handlers_load_unchecked()
      throws Exception {
    fixture.cachedWallet("source", new BigDecimal("5"));
    fixture.cachedWallet("target", BigDecimal.ZERO);
    fixture.depositElsewhere("source", new BigDecimal("100"));

    manager().dispatch(Command.create(new TopUpThenMatch("source", "target")));

    assertThat(fixture.storedBalance("source")).isEqualByComparingTo("106");
    // Decided on what the stream held (105), not on the cached 5.
    assertThat(fixture.storedBalance("target")).isEqualByComparingTo("105");
  }

  /**
   * The handler's own stale load fails the nested command's save: only the handler's retry reloads
   * it, so the nested command must not spend its attempts on it.
   */
  @Test
  void a_nested_command_does_not_retry_on_the_stale_load_of_the_handler_that_dispatched_it()
      throws Exception {
    fixture.cachedWallet("source", new BigDecimal("5"));
    fixture.cachedWallet("target", BigDecimal.ZERO);
    fixture.depositElsewhere("source", new BigDecimal("100"));
    store.calls.clear();

    manager().dispatch(Command.create(new ReadThenDepositElsewhere("source", "target")));

    assertThat(fixture.storedBalance("target")).isEqualByComparingTo("1");
    assertThat(deposits).hasValue(1);
    // One look at the stale entry before the nested command, one by the handler's retry.
    assertThat(store.calls).filteredOn("load source after 2"::equals).hasSize(2);
  }

  /**
   * A manager without {@code deferCacheChecks} handles a command for a handler of one with it: its
   * loads are its own, checked at once, and its rejection is recorded only on the stream's state.
   */
  @Test
  void a_manager_that_does_not_defer_decides_on_the_stream_inside_a_handler_that_does()
      throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.depositElsewhere("w-1", new BigDecimal("100"));
    Command command = Command.create(new WithdrawThroughOther("w-1", new BigDecimal("50")));

    manager().dispatch(command);

    assertThat(fixture.failuresRecorded(command.correlationId())).isEmpty();
    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("50");
  }

  /**
   * A handler that answers its save's conflict itself: the refused commit proved the load stale, so
   * its answer (decided on that stale entry) is not the command's outcome; the command runs again.
   */
  @Test
  void a_rejection_after_a_refused_save_of_a_stale_entry_is_not_the_outcome() throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.depositElsewhere("w-1", new BigDecimal("100"));
    Command command = Command.create(new DepositOrGiveUp("w-1", BigDecimal.ONE));

    manager().dispatch(command);

    assertThat(fixture.failuresRecorded(command.correlationId())).isEmpty();
    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("101");
  }
}
