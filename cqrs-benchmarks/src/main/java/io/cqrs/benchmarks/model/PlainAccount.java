package io.cqrs.benchmarks.model;

/**
 * The account written by hand, without a framework: the baseline of the rehydration benchmark. Its
 * handlers are the same as {@link BenchAccount}'s; {@link #apply(Object)} is the hand-written
 * dispatch a developer would write instead of convention routing.
 */
public final class PlainAccount {
  private final String id;
  private String owner;
  private long balance;
  private long overdraftLimit;
  private long statements;

  /** An empty account. */
  public PlainAccount(String id) {
    this.id = id;
  }

  /** The account's id. */
  public String id() {
    return id;
  }

  /**
   * The hand-written dispatch: an {@code instanceof} chain calling each handler directly, which the
   * JIT can inline completely.
   */
  public void apply(Object event) {
    if (event instanceof MoneyDeposited e) {
      handleMoneyDeposited(e);
    } else if (event instanceof MoneyWithdrawn e) {
      handleMoneyWithdrawn(e);
    } else if (event instanceof OverdraftLimitChanged e) {
      handleOverdraftLimitChanged(e);
    } else if (event instanceof OwnerChanged e) {
      handleOwnerChanged(e);
    } else if (event instanceof StatementIssued e) {
      handleStatementIssued(e);
    } else if (event instanceof AccountOpened e) {
      handleAccountOpened(e);
    } else {
      throw new IllegalArgumentException("PlainAccount has no handler for " + event.getClass());
    }
  }

  /** The state every variant of a benchmark must agree on, for the consistency checks. */
  public AccountState state() {
    return new AccountState(owner, balance, overdraftLimit, statements);
  }

  void handleAccountOpened(AccountOpened event) {
    owner = event.owner();
  }

  void handleMoneyDeposited(MoneyDeposited event) {
    balance += event.amount();
  }

  void handleMoneyWithdrawn(MoneyWithdrawn event) {
    balance -= event.amount();
  }

  void handleOverdraftLimitChanged(OverdraftLimitChanged event) {
    overdraftLimit = event.limit();
  }

  void handleOwnerChanged(OwnerChanged event) {
    owner = event.owner();
  }

  void handleStatementIssued(StatementIssued event) {
    statements = event.number();
  }
}
