package io.cqrs.example.bank;

import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.example.bank.readmodel.UsersReadModel.UserView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Compares the read models with the write model, stream by stream: the andrewwebber test's final
 * "is the read model in sync" check, made thorough.
 */
final class ReadModelCheck {
  private final Bank bank;
  private final List<String> differences = new ArrayList<>();

  private ReadModelCheck(Bank bank) {
    this.bank = bank;
  }

  /** Where the read models differ from the write model for these streams; empty if nowhere. */
  static List<String> differences(
      Bank bank, Collection<String> accountIds, Collection<String> transferIds) {
    ReadModelCheck check = new ReadModelCheck(bank);
    accountIds.forEach(check::account);
    transferIds.forEach(check::transfer);
    return List.copyOf(check.differences);
  }

  private void account(String id) {
    Optional<Account> written = bank.service().findAccount(id);
    if (written.isEmpty()) {
      differences.add("account " + id + " is not in the write model");
      return;
    }
    Account account = written.get();
    Optional<AccountView> view = bank.accounts().find(id);
    if (view.isEmpty()) {
      differences.add("account " + id + " is not in the accounts read model");
    } else {
      compare("accounts", id, "name", view.get().name(), account.fullName());
      compare("accounts", id, "email", view.get().email(), account.email());
      compare("accounts", id, "balance", view.get().balance(), account.balance());
      compare("accounts", id, "closed", view.get().closed(), account.isClosed());
      compare("accounts", id, "version", bank.accounts().appliedVersion(id), account.version());
    }
    Optional<UserView> user = bank.users().find(id);
    if (user.isEmpty()) {
      differences.add("account " + id + " is not in the users read model");
    } else {
      compare("users", id, "email", user.get().email(), account.email());
      compare("users", id, "password hash", user.get().passwordHash(), account.passwordHash());
      compare("users", id, "version", bank.users().appliedVersion(id), account.version());
    }
  }

  private void transfer(String id) {
    Optional<MoneyTransfer> written = bank.service().findTransfer(id);
    Optional<TransferView> view = bank.transfers().find(id);
    if (written.isEmpty() || view.isEmpty()) {
      differences.add("transfer " + id + " is missing from the write or the read model");
      return;
    }
    compare("transfers", id, "state", view.get().state(), written.get().state());
    compare("transfers", id, "reason", view.get().reason(), written.get().failureReason());
    compare(
        "transfers", id, "version", bank.transfers().appliedVersion(id), written.get().version());
  }

  private void compare(String model, String id, String field, Object read, Object written) {
    if (!Objects.equals(read, written)) {
      differences.add(
          model
              + " read model has "
              + field
              + " "
              + read
              + " for "
              + id
              + " where the write model has "
              + written);
    }
  }
}
