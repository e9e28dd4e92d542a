package io.cqrs.example.bank.domain;

import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSourcingRepository;
import io.cqrs.example.bank.domain.TransferCommand.CompleteTransfer;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.domain.TransferCommand.FailTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferRefund;
import io.cqrs.example.bank.domain.TransferCommand.RefuseTransferCredit;

/**
 * The command handlers of {@link MoneyTransfer}: each loads the transfer, takes one step and saves
 * it under the command's correlation id, which every command of one transfer shares.
 */
public final class TransferCommandHandlers {
  private TransferCommandHandlers() {}

  /**
   * Registers a handler for every {@link TransferCommand}.
   *
   * @param commands where to register them
   * @param repository where transfers (and, to check they exist, accounts) are loaded and saved
   */
  public static void register(CommandDispatchManager commands, EventSourcingRepository repository) {
    commands.registerCommandHandler(
        CreateMoneyTransfer.class,
        (create, command) -> repository.save(create(repository, create), command));
    Registrar on = new Registrar(commands, repository);
    on.command(RecordTransferDebit.class, (c, transfer) -> transfer.recordDebit());
    on.command(FailTransferDebit.class, (c, transfer) -> transfer.failDebit(c.reason()));
    on.command(CompleteTransfer.class, (c, transfer) -> transfer.complete());
    on.command(RefuseTransferCredit.class, (c, transfer) -> transfer.refuseCredit(c.reason()));
    on.command(RecordTransferRefund.class, (c, transfer) -> transfer.recordRefund());
  }

  private static MoneyTransfer create(
      EventSourcingRepository repository, CreateMoneyTransfer create) {
    // Accounts are never deleted, so checking that they exist now is final. Balances and closing
    // are not: the accounts decide those when the process reaches them.
    AggregateLookup.account(repository, create.fromAccountId());
    AggregateLookup.account(repository, create.toAccountId());
    if (repository.store().version(create.transferId()) != 0) {
      throw new AlreadyExistsException("Transfer", create.transferId());
    }
    return MoneyTransfer.create(
        create.transferId(), create.fromAccountId(), create.toAccountId(), create.amount());
  }

  /** Registers handlers that load the command's transfer, take a step and save. */
  private record Registrar(CommandDispatchManager commands, EventSourcingRepository repository) {
    <C extends TransferCommand> void command(Class<C> type, TransferStep<C> step) {
      commands.registerCommandHandler(
          type,
          (body, command) -> {
            MoneyTransfer transfer = AggregateLookup.transfer(repository, body.transferId());
            step.apply(body, transfer);
            repository.save(transfer, command);
          });
    }
  }

  /** What a command does to the transfer it names. */
  @FunctionalInterface
  private interface TransferStep<C> {
    void apply(C command, MoneyTransfer transfer);
  }
}
