package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link CommandDispatchManager.Builder#deferCacheChecks}: a command handler's loads from the cache
 * do not ask the store whether the stream moved on, and yet nothing the handler decides on a stale
 * entry takes effect or counts as its outcome. Each test makes the cache stale the way another
 * process does, by committing to the store behind this repository's back, and shows the decision
 * made again on the stream's state.
 */
class DeferredCacheChecksTest {
  record Deposit(String walletId, BigDecimal amount) {}

  record Withdraw(String walletId, BigDecimal amount) {}

  /** Withdraws if the wallet holds enough, else does nothing: a decision without a save. */
  record WithdrawIfCovered(String walletId, BigDecimal amount) {}

  /** Deposits into {@code target} what {@code source} holds: saves an aggregate it did not read. */
  record MatchBalance(String source, String target) {}

  /** Deposits into two wallets, one save after the other. */
  record DepositBoth(String first, String second, BigDecimal amount) {}

  private static final TypeRegistry TYPES =
      Wallet.types()
          .registerCommands(
              Deposit.class,
              Withdraw.class,
              WithdrawIfCovered.class,
              MatchBalance.class,
              DepositBoth.class);

  private final StaleCaches fixture = new StaleCaches(TYPES);
  private final ObservedStore store = fixture.store;
  private final EventSourcingRepository repository = fixture.repository;

  private CommandDispatchManager manager(boolean defer) {
    return CommandDispatchManager.builder(null, TYPES)
        .errorLog(store)
        .deduplicate(true)
        .lookupProvesEffects(true)
        .deferCacheChecks(defer)
        .build()
        .registerCommandHandler(
            Deposit.class,
            (command, envelope) -> {
              Wallet wallet = repository.get(command.walletId(), Wallet::new);
              wallet.deposit(command.amount());
              repository.save(wallet, envelope);
            })
        .registerCommandHandler(
            Withdraw.class,
            (command, envelope) -> {
              Wallet wallet = repository.get(command.walletId(), Wallet::new);
              wallet.withdraw(command.amount());
              repository.save(wallet, envelope);
            })
        .registerCommandHandler(
            WithdrawIfCovered.class,
            (command, envelope) -> {
              Wallet wallet = repository.get(command.walletId(), Wallet::new);
              if (wallet.balance().compareTo(command.amount()) >= 0) {
                wallet.withdraw(command.amount());
                repository.save(wallet, envelope);
              }
            })
        .registerCommandHandler(
            MatchBalance.class,
            (command, envelope) -> {
              BigDecimal held = repository.get(command.source(), Wallet::new).balance();
              Wallet target = repository.get(command.target(), Wallet::new);
              target.deposit(held);
              repository.save(target, envelope);
            })
        .registerCommandHandler(
            DepositBoth.class,
            (command, envelope) -> {
              Wallet first = repository.get(command.first(), Wallet::new);
              first.deposit(command.amount());
              repository.save(first, envelope);
              Wallet second = repository.get(command.second(), Wallet::new);
              second.deposit(command.amount());
              repository.save(second, envelope);
            });
  }

  @Test
  void a_command_that_saves_on_a_cached_aggregate_does_not_ask_the_store_before_its_save()
      throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.cachedWallet("w-2", BigDecimal.ZERO);
    store.calls.clear();

    manager(true).dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));
    manager(false).dispatch(Command.create(new Deposit("w-2", BigDecimal.ONE)));

    assertThat(store.calls)
        .filteredOn(call -> call.startsWith("load ") || call.contains("save"))
        .containsExactly("checked save w-1 @1 +1", "load w-2 after 1", "checked save w-2 @1 +1");
  }

  @Test
  void a_rejection_decided_on_a_stale_entry_is_not_the_outcome_the_command_runs_again()
      throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.depositElsewhere("w-1", new BigDecimal("100"));
    Command withdraw = Command.create(new Withdraw("w-1", new BigDecimal("50")));

    manager(true).dispatch(withdraw);

    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("50");
    assertThat(fixture.failuresRecorded(withdraw.correlationId())).isEmpty();
  }

  @Test
  void a_rejection_on_a_cached_entry_the_store_confirms_is_recorded_once_checked()
      throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ONE);
    store.calls.clear();
    Command withdraw = Command.create(new Withdraw("w-1", new BigDecimal("50")));

    assertThatThrownBy(() -> manager(true).dispatch(withdraw))
        .isInstanceOf(Wallet.InsufficientFunds.class);

    assertThat(store.calls).contains("load w-1 after 2");
    assertThat(fixture.failuresRecorded(withdraw.correlationId()))
        .singleElement()
        .asString()
        .contains("holds 1");
  }

  @Test
  void a_handler_that_saves_nothing_on_a_stale_entry_runs_again_on_the_stream() throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.depositElsewhere("w-1", new BigDecimal("100"));

    manager(true).dispatch(Command.create(new WithdrawIfCovered("w-1", new BigDecimal("30"))));

    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("70");
  }

  @Test
  void a_save_on_a_stale_entry_conflicts_and_runs_again_with_one_effect() throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.depositElsewhere("w-1", new BigDecimal("100"));
    store.calls.clear();

    manager(true).dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));

    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("101");
    assertThat(store.calls)
        .filteredOn(call -> call.contains("save"))
        .containsExactly("checked save w-1 @1 +1", "save w-1 @2 +1");
  }

  @Test
  void a_save_decided_on_another_stale_aggregate_waits_for_its_check() throws Exception {
    fixture.cachedWallet("source", new BigDecimal("5"));
    fixture.cachedWallet("target", BigDecimal.ZERO);
    fixture.depositElsewhere("source", new BigDecimal("100"));
    store.calls.clear();

    manager(true).dispatch(Command.create(new MatchBalance("source", "target")));

    assertThat(fixture.storedBalance("target")).isEqualByComparingTo("105");
    // The stale source was checked before any save was sent: no save on the cached 5.
    assertThat(store.calls)
        .filteredOn(call -> call.contains("save") || call.startsWith("load "))
        .startsWith("load source after 2");
  }

  @Test
  void loads_after_the_first_save_are_checked_at_once() throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.cachedWallet("w-2", BigDecimal.ZERO);
    fixture.depositElsewhere("w-2", new BigDecimal("100"));
    store.calls.clear();

    // Deferred, the second wallet's stale entry would make its save conflict after the first
    // save committed: a partly applied command. Checked at once, it loads what came after it.
    manager(true).dispatch(Command.create(new DepositBoth("w-1", "w-2", BigDecimal.ONE)));

    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("1");
    assertThat(fixture.storedBalance("w-2")).isEqualByComparingTo("101");
    assertThat(store.calls)
        .filteredOn(call -> call.contains("save") || call.startsWith("load "))
        .containsExactly("checked save w-1 @1 +1", "load w-2 after 1", "save w-2 @2 +1");
  }

  @Test
  void a_load_outside_a_command_handler_is_checked_at_once() {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    fixture.depositElsewhere("w-1", BigDecimal.TEN);

    assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("10");
  }

  @Test
  void a_store_away_when_a_rejection_is_checked_leaves_no_outcome_recorded() throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    Command withdraw = Command.create(new Withdraw("w-1", BigDecimal.TEN));
    CommandDispatchManager manager = manager(true);
    store.afterLoad =
        streamId -> {
          throw new TransientCqrsException("store away");
        };

    assertThatThrownBy(() -> manager.dispatch(withdraw))
        .isInstanceOf(TransientCqrsException.class)
        .hasMessage("store away")
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .singleElement()
                    .isInstanceOf(Wallet.InsufficientFunds.class));
    assertThat(fixture.failuresRecorded(withdraw.correlationId())).isEmpty();

    store.afterLoad = streamId -> {};
    assertThatThrownBy(() -> manager.dispatch(withdraw))
        .isInstanceOf(Wallet.InsufficientFunds.class);
    assertThat(fixture.failuresRecorded(withdraw.correlationId())).hasSize(1);
  }

  /**
   * An aggregate another writer writes too: once a load found its commits, the next commands' loads
   * ask the store at once instead of saving on what is likely stale, until {@value
   * AggregateCache#QUIET_LOOKS} looks in a row found nothing new; then loads defer their check
   * again.
   */
  @Test
  void an_entry_another_writer_wrote_after_is_checked_at_once_until_quiet_looks_find_nothing_new()
      throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    CommandDispatchManager manager = manager(true);
    fixture.depositElsewhere("w-1", BigDecimal.TEN);
    manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE))); // conflicts, runs again
    store.calls.clear();

    int commands = AggregateCache.QUIET_LOOKS + 2;
    for (int i = 0; i < commands; i++) {
      manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));
    }

    List<String> loads = store.calls.stream().filter(call -> call.startsWith("load ")).toList();
    assertThat(loads).hasSize(AggregateCache.QUIET_LOOKS).first().isEqualTo("load w-1 after 3");
    assertThat(store.calls)
        .filteredOn(call -> call.contains("save"))
        .hasSize(commands)
        .allMatch(call -> call.startsWith("checked save"));
    assertThat(fixture.storedBalance("w-1"))
        .isEqualByComparingTo(String.valueOf(10 + 1 + commands));
  }

  /** Another process writes between this process's commands: every load looks at once. */
  @Test
  void an_aggregate_two_writers_write_in_turn_stays_checked_at_once() throws Exception {
    fixture.cachedWallet("w-1", BigDecimal.ZERO);
    CommandDispatchManager manager = manager(true);
    fixture.depositElsewhere("w-1", BigDecimal.TEN);
    manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE))); // conflicts, runs again
    store.calls.clear();

    // The other process writes before every fourth command, fewer quiet looks apart than it takes
    // to trust the entry again.
    for (int i = 0; i < 16; i++) {
      if (i % 4 == 3) {
        fixture.depositElsewhere("w-1", BigDecimal.TEN);
      }
      manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));
    }

    // No save went out on a stale version: the looks found the other writer's commits first.
    assertThat(store.calls).filteredOn(call -> call.contains("save")).hasSize(16);
    assertThat(fixture.storedBalance("w-1")).isEqualByComparingTo("67"); // 10 + 1, then 4 × 10 + 16
  }
}
