package io.cqrs.example.bank.domain;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.Cqrs;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.example.bank.domain.AccountCommand.ChangeEmailAddress;
import io.cqrs.example.bank.domain.AccountCommand.ChangePassword;
import io.cqrs.example.bank.domain.AccountCommand.CloseAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.AccountCommand.RefundAccountForTransfer;
import java.util.function.Function;

/**
 * The command handlers of {@link Account}: each loads the account from its history, calls one
 * business method and saves the new events under the command's correlation id. The {@link
 * CommandDispatchManager} retries a handler whose save lost a race with another writer, so handlers
 * need no locking.
 */
public final class AccountCommandHandlers {
  private AccountCommandHandlers() {}

  /**
   * Registers a handler for every {@link AccountCommand} on {@code cqrs}; they load and save
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
        OpenAccount.class, (open, command) -> repository.save(open(repository, open), command));
    Registrar on = new Registrar(commands, repository);
    on.command(ChangeEmailAddress.class, (c, account) -> account.changeEmailAddress(c.newEmail()));
    on.command(ChangePassword.class, (c, account) -> account.changePassword(c.newPasswordHash()));
    on.command(CreditAccount.class, (c, account) -> account.credit(c.amount()));
    on.command(DebitAccount.class, (c, account) -> account.debit(c.amount()));
    on.command(CloseAccount.class, (c, account) -> account.close());
    on.step(
        DebitAccountForTransfer.class,
        DebitAccountForTransfer::transferId,
        (c, account) -> account.debitForTransfer(c.transferId(), c.amount()));
    on.step(
        CreditAccountForTransfer.class,
        CreditAccountForTransfer::transferId,
        (c, account) -> account.creditForTransfer(c.transferId(), c.amount()));
    on.step(
        RefundAccountForTransfer.class,
        RefundAccountForTransfer::transferId,
        (c, account) ->
            account.refundTransfer(AggregateLookup.transfer(repository, c.transferId())));
  }

  private static Account open(EventSourcingRepository repository, OpenAccount open) {
    // The save also fails if another command opens the same id first, since it expects an empty
    // stream; this check turns the common case into a clear refusal.
    if (repository.store().version(open.accountId()) != 0) {
      throw new AlreadyExistsException("Account", open.accountId());
    }
    return Account.open(
        open.accountId(),
        open.firstName(),
        open.lastName(),
        open.email(),
        open.passwordHash(),
        open.initialBalance(),
        open.owner());
  }

  /** Registers handlers that load the command's account, apply an action and save. */
  private record Registrar(CommandRegistry commands, EventSourcingRepository repository) {
    <C extends AccountCommand> void command(Class<C> type, AccountAction<C> action) {
      commands.register(type, (body, command) -> apply(body, command, action));
    }

    private <C extends AccountCommand> void apply(
        C body, Command command, AccountAction<C> action) {
      Account account = AggregateLookup.account(repository, body.accountId());
      action.apply(body, account);
      repository.save(account, command);
    }

    /**
     * A step of a transfer: refused unless it comes with the message id every sender of that step
     * gives it, so that the store, which commits a command to a stream at most once, lets it take
     * effect once however often and by whomever it is sent. The account keeps no record of its
     * transfers for this.
     *
     * <p>Where the dispatch manager lets its look-up stand for the store's check ({@code
     * lookupProvesEffects}, on in {@code Bank}), that also needs every delivery of a step to carry
     * the same correlation id, the framework's rule for that option: {@link
     * io.cqrs.Command#reactingTo}, with which {@link TransferProcess} sends every step, keeps its
     * transfer's correlation. A sender that sent a step again under its id but another correlation
     * could have it applied twice to a cached account.
     */
    <C extends AccountCommand> void step(
        Class<C> type, Function<C, String> transferId, AccountAction<C> action) {
      commands.register(
          type,
          (body, command) -> {
            String expected = TransferProcess.stepMessageId(transferId.apply(body), type);
            if (!expected.equals(command.messageId())) {
              throw new IllegalArgumentException(
                  TypeRegistry.logicalName(type)
                      + " must be sent with message id "
                      + expected
                      + ", the one every sender of that transfer's step uses, so that it takes"
                      + " effect once; it came with "
                      + command.messageId());
            }
            apply(body, command, action);
          });
    }
  }

  /** What a command does to the account it names. */
  @FunctionalInterface
  private interface AccountAction<C> {
    void apply(C command, Account account);
  }
}
