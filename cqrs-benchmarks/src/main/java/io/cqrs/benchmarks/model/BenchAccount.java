package io.cqrs.benchmarks.model;

import io.cqrs.EventSourceBased;

/**
 * The account aggregate on cqrs: six {@code handle<Event>} methods found by convention and invoked
 * through the framework's generated routing. The handler bodies are the same as {@link
 * PlainAccount}'s and {@link AxonAccount}'s, so the benchmarks compare only the machinery around
 * them.
 */
public final class BenchAccount extends EventSourceBased {
  private String owner;
  private long balance;
  private long overdraftLimit;
  private long statements;

  /** An empty account with the given id, as the repository's factory makes it before replay. */
  public BenchAccount(String id) {
    super(id);
  }

  /** Opens the account: the first event of its stream. */
  public void open(String newOwner) {
    update(new AccountOpened(id(), newOwner));
  }

  /** Pays money in; the one business method the command-path benchmark calls. */
  public void deposit(long amount) {
    if (amount <= 0) {
      throw new IllegalArgumentException("amount must be positive, was " + amount);
    }
    update(new MoneyDeposited(amount));
  }

  /** The state every variant of a benchmark must agree on, for the consistency checks. */
  public AccountState state() {
    return new AccountState(owner, balance, overdraftLimit, statements);
  }

  private void handleAccountOpened(AccountOpened event) {
    owner = event.owner();
  }

  private void handleMoneyDeposited(MoneyDeposited event) {
    balance += event.amount();
  }

  private void handleMoneyWithdrawn(MoneyWithdrawn event) {
    balance -= event.amount();
  }

  private void handleOverdraftLimitChanged(OverdraftLimitChanged event) {
    overdraftLimit = event.limit();
  }

  private void handleOwnerChanged(OwnerChanged event) {
    owner = event.owner();
  }

  private void handleStatementIssued(StatementIssued event) {
    statements = event.number();
  }
}
