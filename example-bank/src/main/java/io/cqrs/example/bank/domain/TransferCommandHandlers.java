package io.cqrs.example.bank.domain;

import io.cqrs.CommandDispatchManager;
import io.cqrs.Cqrs;
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
   * Registers a handler for every {@link TransferCommand} on {@code cqrs}; they load and save
   * through its repository.
   */
  public static void register(Cqrs cqrs) {
    registerAll(cqrs::onCommand, cqrs.repository());
  }

  /** The same handlers on a dispatch manager, as {@code AggregateFixture.withCommandHandlers}. */
  static void register(CommandDispatchManager commands, EventSourcingRepository repository) {
    registerAll(commands::registerCommandHandler, repository);
  }

  private static void registerAll(CommandRegistry commands, EventSourcingRepository repository) {
    commands.register(
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
  private record Registrar(CommandRegistry commands, EventSourcingRepository repository) {
    <C extends TransferCommand> void command(Class<C> type, TransferStep<C> step) {
      commands.register(
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
