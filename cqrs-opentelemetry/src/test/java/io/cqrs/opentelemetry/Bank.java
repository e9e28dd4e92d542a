package io.cqrs.opentelemetry;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;

/** The small domain the tests trace: deposits into accounts, and a notice a deposit causes. */
final class Bank {
  private Bank() {}

  /** Deposits an amount; a negative one is refused by the account. */
  record Deposit(String accountId, int amount) {}

  /** The event of {@link Deposit}. */
  record Deposited(int amount) {}

  /** What a process manager sends in reaction to {@link Deposited}. */
  record Notify(String accountId) {}

  /** An account: its balance. */
  static final class Account extends EventSourceBased {
    private int balance;

    Account(String id) {
      super(id);
    }

    void deposit(int amount) {
      if (amount < 0) {
        throw new IllegalArgumentException("a deposit of " + amount + " is refused");
      }
      update(new Deposited(amount));
    }

    private void handleDeposited(Deposited event) {
      balance += event.amount();
    }

    int balance() {
      return balance;
    }
  }

  /** A registry of the account aggregate, its event and the commands. */
  static TypeRegistry types() {
    return new TypeRegistry()
        .registerAggregate(Account.class, Deposited.class)
        .registerCommands(Deposit.class, Notify.class);
  }

  /** A builder with {@link #types()}. */
  static Cqrs.Builder builder() {
    return Cqrs.builder().types(types());
  }

  /** Registers the handler of {@link Deposit}: load (or open) the account, deposit, save. */
  static void handleDeposits(Cqrs cqrs) {
    EventSourcingRepository accounts = cqrs.repository();
    cqrs.onCommand(
        Deposit.class,
        (Deposit deposit, Command command) -> {
          Account account =
              accounts
                  .find(deposit.accountId(), Account::new)
                  .orElseGet(() -> new Account(deposit.accountId()));
          account.deposit(deposit.amount());
          accounts.save(account, command);
        });
  }
}
