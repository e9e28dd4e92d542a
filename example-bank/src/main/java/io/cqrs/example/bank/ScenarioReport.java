package io.cqrs.example.bank;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.example.bank.readmodel.UsersReadModel.UserView;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Prints the bank's models for the {@link Scenario}, as plain-text tables. */
final class ScenarioReport {
  private final Bank bank;
  private final PrintStream out;

  ScenarioReport(Bank bank, PrintStream out) {
    this.bank = bank;
    this.out = out;
  }

  void readModels() {
    accountsReadModel();
    usersReadModel();
    transfersReadModel();
  }

  private void accountsReadModel() {
    heading("Accounts read model");
    TextTable accounts = new TextTable("ID", "NAME", "EMAIL", "BALANCE", "CLOSED", "VERSION");
    for (AccountView a : bank.accounts().all()) {
      accounts.row(
          EventText.shortId(a.id()),
          a.name(),
          a.email(),
          a.balance(),
          yesNo(a.closed()),
          bank.accounts().appliedVersion(a.id()));
    }
    accounts.print(out);
  }

  private void usersReadModel() {
    heading("Users read model");
    TextTable users = new TextTable("ID", "NAME", "EMAIL", "PASSWORD HASH");
    for (UserView u : bank.users().all()) {
      users.row(
          EventText.shortId(u.id()), u.name(), u.email(), EventText.shortHash(u.passwordHash()));
    }
    users.print(out);
  }

  private void transfersReadModel() {
    heading("Transfers read model");
    TextTable transfers = new TextTable("ID", "FROM", "TO", "AMOUNT", "STATE", "REASON");
    for (TransferView t : bank.transfers().all()) {
      transfers.row(
          EventText.shortId(t.id()),
          EventText.shortId(t.fromAccountId()),
          EventText.shortId(t.toAccountId()),
          t.amount(),
          t.state(),
          t.reason());
    }
    transfers.print(out);
  }

  void writeModel(List<String> accountIds, List<String> transferIds) {
    heading("Write model reloaded from history");
    TextTable accounts = new TextTable("ACCOUNT", "NAME", "EMAIL", "BALANCE", "CLOSED", "VERSION");
    for (String id : accountIds) {
      Account a = bank.service().findAccount(id).orElseThrow();
      accounts.row(
          EventText.shortId(id),
          a.fullName(),
          a.email(),
          a.balance(),
          yesNo(a.isClosed()),
          a.version());
    }
    accounts.print(out);
    out.println();
    TextTable transfers = new TextTable("TRANSFER", "FROM", "TO", "AMOUNT", "STATE", "VERSION");
    for (String id : transferIds) {
      MoneyTransfer t = bank.service().findTransfer(id).orElseThrow();
      transfers.row(
          EventText.shortId(id),
          EventText.shortId(t.fromAccountId()),
          EventText.shortId(t.toAccountId()),
          t.amount(),
          t.state(),
          t.version());
    }
    transfers.print(out);
  }

  void correlation(String correlationId, String what) {
    heading("Events of correlation " + correlationId + " (" + what + ")");
    TextTable events = new TextTable("#", "STREAM", "VERSION", "EVENT", "DETAILS");
    int n = 0;
    for (VersionedEvent e : bank.service().eventsOfCorrelation(correlationId)) {
      events.row(
          ++n,
          e.version() == 0 ? "(error log)" : EventText.shortId(e.sourceId()),
          e.version(),
          e.eventType(),
          EventText.describe(e.event()));
    }
    events.print(out);
  }

  void journal() {
    Map<String, Long> counts = bank.journal().counts();
    heading("Events received by the global handler: " + bank.journal().total());
    out.println(
        "  "
            + counts.entrySet().stream()
                .map(entry -> entry.getKey() + " " + entry.getValue())
                .collect(Collectors.joining(", ")));
  }

  void sync(List<String> differences) {
    out.println();
    out.println("Read model in sync with write model: " + yesNo(differences.isEmpty()));
    differences.forEach(difference -> out.println("  " + difference));
  }

  private void heading(String title) {
    out.println();
    out.println(title);
  }

  private static String yesNo(boolean value) {
    return value ? "yes" : "no";
  }
}
