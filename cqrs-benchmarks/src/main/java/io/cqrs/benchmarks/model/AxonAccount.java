package io.cqrs.benchmarks.model;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateIdentifier;

/**
 * The account on Axon Framework 4: the comparison point of the rehydration and command-path
 * benchmarks. Same state and handler bodies as {@link BenchAccount}; Axon requires the identifier
 * to be set by the first event and a no-argument constructor for its aggregate factory.
 */
public class AxonAccount {
  @AggregateIdentifier private String id;
  private String owner;
  private long balance;
  private long overdraftLimit;
  private long statements;

  /** Used by Axon's aggregate factory before replay. */
  protected AxonAccount() {}

  /** Pays money in by applying one event, like {@link BenchAccount#deposit(long)}. */
  @CommandHandler
  public void handle(AxonDeposit command) {
    if (command.amount() <= 0) {
      throw new IllegalArgumentException("amount must be positive, was " + command.amount());
    }
    apply(new MoneyDeposited(command.amount()));
  }

  /** The state every variant of a benchmark must agree on, for the consistency checks. */
  public AccountState state() {
    return new AccountState(owner, balance, overdraftLimit, statements);
  }

  @EventSourcingHandler
  void on(AccountOpened event) {
    id = event.accountId();
    owner = event.owner();
  }

  @EventSourcingHandler
  void on(MoneyDeposited event) {
    balance += event.amount();
  }

  @EventSourcingHandler
  void on(MoneyWithdrawn event) {
    balance -= event.amount();
  }

  @EventSourcingHandler
  void on(OverdraftLimitChanged event) {
    overdraftLimit = event.limit();
  }

  @EventSourcingHandler
  void on(OwnerChanged event) {
    owner = event.owner();
  }

  @EventSourcingHandler
  void on(StatementIssued event) {
    statements = event.number();
  }
}
