package io.cqrs.benchmarks;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSourcingRepository;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;

/**
 * The three command paths the deduplication benchmarks compare (issue 12). Each builds a {@link
 * CommandDispatchManager} with no bus whose {@link Deposit} handler loads the account, deposits and
 * saves; they differ only in how the save names the command and whether the manager looks the
 * command up first. The manager has an error log (the same store) in every variant, so only {@code
 * deduplicate} differs between the last two.
 */
enum Deduplication {
  /**
   * The baseline: {@code save(account, command.correlationId())}. No command id reaches the store
   * and nothing is looked up, so a redelivered command takes effect again.
   */
  WITHOUT(false),
  /**
   * {@code save(account, command)}: the store commits the events only if the stream holds no effect
   * of the same command, in the same atomic step ({@code DuplicateCommandException} otherwise).
   */
  ATOMIC(false),
  /**
   * {@code save(account, command)} and {@code deduplicate(true)}: the manager also looks the
   * command's correlation id up in the store before each attempt, to remember rejections.
   */
  ATOMIC_AND_LOOKUP(true);

  private final boolean lookup;

  Deduplication(boolean lookup) {
    this.lookup = lookup;
  }

  /** A manager that handles {@link Deposit} commands through {@code repository} this way. */
  CommandDispatchManager manager(EventSourcingRepository repository) {
    return CommandDispatchManager.builder(null, repository.registry())
        .errorLog(repository.store())
        .deduplicate(lookup)
        .build()
        .registerCommandHandler(
            Deposit.class, (deposit, command) -> handle(repository, deposit, command));
  }

  private void handle(EventSourcingRepository repository, Deposit deposit, Command command) {
    BenchAccount account = repository.get(deposit.accountId(), BenchAccount::new);
    account.deposit(deposit.amount());
    if (this == WITHOUT) {
      repository.save(account, command.correlationId());
    } else {
      repository.save(account, command);
    }
  }
}
