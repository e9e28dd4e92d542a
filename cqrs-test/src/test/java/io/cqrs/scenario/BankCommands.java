package io.cqrs.scenario;

import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSourcingRepository;
import java.math.BigDecimal;
import java.util.function.Consumer;

/** The scenario's commands and their handlers (andrewwebber's {@code RegisterCommandHandlers}). */
final class BankCommands {
  private BankCommands() {}

  record ChangeEmailAddress(String accountId, String newEmailAddress) {}

  record ChangePassword(String accountId, String newPassword) {}

  record CreditAccount(String accountId, BigDecimal amount) {}

  record DebitAccount(String accountId, BigDecimal amount) {}

  /** Each handler loads the account from history, calls one business method and saves it. */
  static void register(CommandDispatchManager commands, EventSourcingRepository repository) {
    commands
        .registerCommandHandler(
            ChangeEmailAddress.class,
            (body, command) ->
                change(
                    repository,
                    body.accountId(),
                    command,
                    a -> a.changeEmailAddress(body.newEmailAddress())))
        .registerCommandHandler(
            ChangePassword.class,
            (body, command) ->
                change(
                    repository,
                    body.accountId(),
                    command,
                    a -> a.changePassword(body.newPassword())))
        .registerCommandHandler(
            CreditAccount.class,
            (body, command) ->
                change(repository, body.accountId(), command, a -> a.credit(body.amount())))
        .registerCommandHandler(
            DebitAccount.class,
            (body, command) ->
                change(repository, body.accountId(), command, a -> a.debit(body.amount())));
  }

  private static void change(
      EventSourcingRepository repository,
      String accountId,
      io.cqrs.Command command,
      Consumer<Account> businessMethod) {
    Account account = repository.get(accountId, Account::new);
    businessMethod.accept(account);
    repository.save(account, command);
  }
}
