package io.cqrs;

import java.math.BigDecimal;
import java.util.List;

/**
 * The fixture of the {@link CommandDispatchManager.Builder#deferCacheChecks} tests: an observed
 * in-memory store, a repository caching {@link Wallet}s over it, and another process that writes to
 * the store behind the cache's back.
 */
final class StaleCaches {
  final ObservedStore store = new ObservedStore();
  final AggregateCache cache = AggregateCache.maximumSize(10);
  final EventSourcingRepository repository;
  private final TypeRegistry types;

  StaleCaches(TypeRegistry types) {
    this.types = types;
    this.repository = EventSourcingRepository.builder(store, types).cache(cache).build();
  }

  /** Opens a wallet holding {@code balance} through the repository, so that the cache holds it. */
  void cachedWallet(String id, BigDecimal balance) {
    Wallet wallet = Wallet.open(id, "ann");
    if (balance.signum() > 0) {
      wallet.deposit(balance);
    }
    repository.save(wallet, "opening");
    repository.get(id, Wallet::new);
  }

  /**
   * Another process deposits into the wallet: the store moves on, this process's cache does not.
   */
  void depositElsewhere(String id, BigDecimal amount) {
    long version = store.delegate.version(id);
    store.delegate.save(
        id,
        version,
        List.of(
            VersionedEvent.builder(id, version + 1, new Wallet.Deposited(amount))
                .correlationId("elsewhere")
                .build()));
  }

  /** The wallet as the store holds it, read by a repository with no cache. */
  BigDecimal storedBalance(String id) {
    return EventSourcingRepository.builder(store.delegate, types)
        .build()
        .get(id, Wallet::new)
        .balance();
  }

  /** The messages of the {@link CommandFailed} outcomes recorded in the correlation. */
  List<String> failuresRecorded(String correlationId) {
    return store.delegate.eventsByCorrelationId(correlationId).stream()
        .filter(event -> event.event() instanceof CommandFailed)
        .map(event -> ((CommandFailed) event.event()).message())
        .toList();
  }
}
