package io.cqrs.micrometer;

import io.cqrs.Cqrs;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import java.util.function.Predicate;

/** The aggregate of the metrics tests, with its commands, events and command handlers. */
final class Account extends EventSourceBased {
  record Open(String id) {}

  record Deposit(String id, long amount) {}

  record Opened(String id) {}

  record Deposited(long amount) {}

  private long balance; // the state the aggregate cache keeps

  Account(String id) {
    super(id);
  }

  /** A builder with the account and its events registered. */
  static Cqrs.Builder cqrs() {
    return Cqrs.builder().aggregate(Account.class, Opened.class, Deposited.class);
  }

  /** Handles {@link Open} and {@link Deposit}; no deposit is interfered with. */
  static void handle(Cqrs cqrs) {
    handle(cqrs, deposit -> false);
  }

  /**
   * Handles {@link Open} and {@link Deposit}. Before each attempt of a deposit to save, {@code
   * interfere} may ask for another deposit of 1 to be saved first, from a second instance loaded
   * after the handler's: the handler's save then conflicts, deterministically.
   */
  static void handle(Cqrs cqrs, Predicate<Deposit> interfere) {
    EventSourcingRepository accounts = cqrs.repository();
    cqrs.onCommand(
        Open.class,
        (open, command) -> {
          Account account = new Account(open.id());
          account.update(new Opened(open.id()));
          accounts.save(account, command);
        });
    cqrs.onCommand(
        Deposit.class,
        (deposit, command) -> {
          Account account = accounts.get(deposit.id(), Account::new);
          account.deposit(deposit.amount());
          if (interfere.test(deposit)) {
            Account other = accounts.get(deposit.id(), Account::new);
            other.deposit(1);
            accounts.save(other, "interference");
          }
          accounts.save(account, command);
        });
  }

  void deposit(long amount) {
    if (amount <= 0) {
      throw new IllegalArgumentException("amount must be positive, was " + amount);
    }
    update(new Deposited(amount));
  }

  private void handleOpened(Opened e) {}

  private void handleDeposited(Deposited e) {
    balance += e.amount();
  }
}
