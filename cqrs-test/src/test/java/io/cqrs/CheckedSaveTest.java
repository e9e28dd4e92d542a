package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.testing.OwnThread;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * When {@link EventSourcingRepository} tells its store that a command's save is already checked
 * ({@link io.cqrs.spi.EventStreamRepository#saveChecked}): only for the effect of the command being
 * dispatched with deduplication into the same store, on an aggregate loaded from the cache at the
 * version saved from, from an entry made before the command's look-up (see {@link CommandLookups}).
 * Anything else must be an ordinary save, for a store skips checks on a checked one.
 */
class CheckedSaveTest {
  record Deposit(String walletId, BigDecimal amount) {}

  record Transfer(String from, String to, BigDecimal amount) {}

  private static final TypeRegistry TYPES =
      Wallet.types().registerCommands(Deposit.class, Transfer.class);

  private final ObservedStore store = new ObservedStore();
  private final AggregateCache cache = AggregateCache.maximumSize(10);
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, TYPES).cache(cache).build();

  private CommandDispatchManager manager(boolean deduplicate, CommandHandler<Deposit> deposit) {
    return CommandDispatchManager.builder(null, TYPES)
        .errorLog(store)
        .deduplicate(deduplicate)
        .lookupProvesEffects(deduplicate)
        .build()
        .registerCommandHandler(Deposit.class, deposit);
  }

  private final CommandHandler<Deposit> deposit =
      (command, envelope) -> {
        Wallet wallet = repository.get(command.walletId(), Wallet::new);
        wallet.deposit(command.amount());
        repository.save(wallet, envelope);
      };

  /** Opens a wallet and puts it in the cache; returns its id. */
  private String cachedWallet() {
    repository.save(Wallet.open("w-1", "ann"), "opening");
    repository.get("w-1", Wallet::new);
    store.calls.clear();
    return "w-1";
  }

  private List<String> saves() {
    return store.calls.stream().filter(call -> call.contains("save ")).toList();
  }

  @Test
  void a_deduplicated_command_on_a_cached_aggregate_is_saved_checked() throws Exception {
    String wallet = cachedWallet();
    CommandDispatchManager manager = manager(true, deposit);

    manager.dispatch(Command.create(new Deposit(wallet, BigDecimal.ONE)));
    manager.dispatch(Command.create(new Deposit(wallet, BigDecimal.TEN)));

    assertThat(saves()).containsExactly("checked save w-1 @1 +1", "checked save w-1 @2 +1");
  }

  @Test
  void without_deduplication_or_outside_a_command_a_save_is_ordinary() throws Exception {
    String wallet = cachedWallet();

    manager(false, deposit).dispatch(Command.create(new Deposit(wallet, BigDecimal.ONE)));
    Wallet loaded = repository.get(wallet, Wallet::new);
    loaded.deposit(BigDecimal.ONE);
    repository.save(loaded, Command.create(new Deposit(wallet, BigDecimal.ONE)));

    assertThat(saves()).containsExactly("save w-1 @1 +1", "save w-1 @2 +1");
  }

  @Test
  void deduplication_without_lookup_proves_effects_saves_ordinarily() throws Exception {
    String wallet = cachedWallet();
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, TYPES)
            .errorLog(store)
            .deduplicate(true)
            .build()
            .registerCommandHandler(Deposit.class, deposit);

    manager.dispatch(Command.create(new Deposit(wallet, BigDecimal.ONE)));

    assertThat(saves()).containsExactly("save w-1 @1 +1");
  }

  @Test
  void lookup_proves_effects_without_deduplication_is_refused_when_built() {
    assertThatThrownBy(
            () ->
                CommandDispatchManager.builder(null, TYPES)
                    .errorLog(store)
                    .lookupProvesEffects(true)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lookupProvesEffects needs deduplicate(true)");
  }

  @Test
  void an_aggregate_not_from_the_cache_or_with_events_after_it_is_saved_ordinarily()
      throws Exception {
    String wallet = cachedWallet();
    CommandDispatchManager manager = manager(true, deposit);
    // Another writer appends: the cached entry is behind, and the load reads what came after it.
    store.delegate.save(
        wallet,
        1,
        List.of(
            VersionedEvent.builder(wallet, 2, new Wallet.Deposited(BigDecimal.ONE))
                .correlationId("elsewhere")
                .build()));
    manager.dispatch(Command.create(new Deposit(wallet, BigDecimal.ONE)));
    // Not in the cache: loaded from the store.
    cache.invalidateAll();
    manager.dispatch(Command.create(new Deposit(wallet, BigDecimal.ONE)));

    assertThat(saves()).containsExactly("save w-1 @2 +1", "save w-1 @3 +1");
  }

  /**
   * The twin race of {@code CouchbaseCheckedSaveIT}, in memory: the second delivery looked up
   * before the first delivery's save cached its effect, so that entry proves nothing to it.
   */
  @Test
  void an_entry_cached_after_the_lookup_proves_nothing() throws Exception {
    String wallet = cachedWallet();
    Command twice = Command.create(new Deposit(wallet, BigDecimal.ONE));
    CountDownLatch lookedUp = new CountDownLatch(1);
    CountDownLatch firstDone = new CountDownLatch(1);
    CommandDispatchManager parking =
        manager(
            true,
            (command, envelope) -> {
              lookedUp.countDown();
              firstDone.await();
              deposit.handle(command, envelope);
            });
    CommandDispatchManager plain = manager(true, deposit);

    CompletableFuture<Void> second =
        OwnThread.runAsync(
            () -> {
              try {
                parking.dispatch(twice);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    lookedUp.await();
    plain.dispatch(twice);
    firstDone.countDown();
    second.get(30, TimeUnit.SECONDS);

    // The first was checked; the second was not, and the store refused it as a duplicate.
    assertThat(saves()).containsExactly("checked save w-1 @1 +1", "save w-1 @2 +1");
    assertThat(store.load(wallet)).hasSize(2);
  }

  @Test
  void a_save_in_another_correlation_or_for_another_command_is_ordinary() throws Exception {
    String wallet = cachedWallet();
    CommandDispatchManager manager =
        manager(
            true,
            (command, envelope) -> {
              Wallet loaded = repository.get(command.walletId(), Wallet::new);
              loaded.deposit(command.amount());
              // The same command id in another correlation: the look-up read another index.
              repository.save(
                  loaded,
                  Command.builder(command)
                      .messageId(envelope.messageId())
                      .correlationId("another-correlation")
                      .build());
            });

    manager.dispatch(Command.create(new Deposit(wallet, BigDecimal.ONE)));

    assertThat(saves()).containsExactly("save w-1 @1 +1");
  }

  /**
   * A handler that dispatches another command: the inner command's look-up covers its own save
   * only, and the outer command's proof is back once the inner one returns.
   */
  @Test
  void a_nested_dispatch_proves_its_own_save_and_leaves_the_outer_ones_proof() throws Exception {
    String wallet = cachedWallet();
    repository.save(Wallet.open("w-2", "bob"), "opening");
    repository.get("w-2", Wallet::new);
    store.calls.clear();
    CommandDispatchManager[] self = new CommandDispatchManager[1];
    self[0] =
        CommandDispatchManager.builder(null, TYPES)
            .errorLog(store)
            .deduplicate(true)
            .lookupProvesEffects(true)
            .build()
            .registerCommandHandler(Deposit.class, deposit)
            .registerCommandHandler(
                Transfer.class,
                (transfer, envelope) -> {
                  Wallet from = repository.get(transfer.from(), Wallet::new);
                  self[0].dispatch(
                      Command.create(
                          new Deposit(transfer.to(), transfer.amount()), envelope.correlationId()));
                  from.deposit(transfer.amount()); // a deposit stands in for the debit
                  repository.save(from, envelope);
                });

    self[0].dispatch(Command.create(new Transfer(wallet, "w-2", BigDecimal.ONE)));

    assertThat(saves()).containsExactly("checked save w-2 @1 +1", "checked save w-1 @1 +1");
  }
}
