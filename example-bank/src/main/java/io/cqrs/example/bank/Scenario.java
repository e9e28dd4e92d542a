package io.cqrs.example.bank;

import io.cqrs.Command;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.InsufficientFundsException;
import io.cqrs.example.bank.domain.MoneyTransfer;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * The andrewwebber/cqrs bank scenario, extended with transfers: open an account, change its
 * password and email address, credit it through the command bus, debit it, transfer money, have a
 * debit refused and a transfer fail, then print the read models, the write model reloaded from
 * history, the events of some correlation ids, and whether the read models are in sync.
 *
 * <p>It uses only the bank's public API, so it runs unchanged on any {@link BankInfrastructure}.
 */
public final class Scenario {
  /** How long to wait for asynchronous steps before giving up. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Bank bank;
  private final BankService service;
  private final PrintStream out;
  private final List<String> accountIds = new ArrayList<>();
  private final List<String> transferIds = new ArrayList<>();
  private int step;

  /**
   * What the scenario did.
   *
   * @param accountIds the accounts it opened, in order: John, Daenerys, Arya
   * @param transferIds the transfers it asked for, in order: the completed one, the failed one
   * @param refusedDebitCorrelationId the correlation id of the refused debit
   * @param differences where the read models differ from the write model, or a rebuild of them from
   *     the live ones; empty when in sync
   */
  public record Result(
      List<String> accountIds,
      List<String> transferIds,
      String refusedDebitCorrelationId,
      List<String> differences) {

    /** Whether the read models agreed with the write model at the end. */
    public boolean inSync() {
      return differences.isEmpty();
    }
  }

  /**
   * @param bank a started bank (see {@link Bank#start()})
   * @param out where the scenario reports
   */
  public Scenario(Bank bank, PrintStream out) {
    this.bank = Objects.requireNonNull(bank, "bank");
    this.service = bank.service();
    this.out = Objects.requireNonNull(out, "out");
  }

  /**
   * Runs the scenario and prints what happened, ending with a rebuild of the read models from the
   * integration log compared with the live ones.
   */
  public Result run() throws Exception {
    out.println("cqrs example bank: the andrewwebber/cqrs scenario");
    out.println("(" + bank.infrastructure().describe() + ")");
    out.println();
    String john = open("John", "Snow", "john.snow@cqrs.example", "$ThisIsAPassword", "100.00");
    service.changePassword(john, "$ThisIsANOTHERPassword");
    say("Changed John's password (the account keeps only a salted PBKDF2 hash)");
    service.changeEmailAddress(john, "john.snow@thewall.example");
    say("Changed John's email address to john.snow@thewall.example");
    creditThroughTheBus(john, "50.00", "25.50");
    service.debit(john, new BigDecimal("30.00"));
    say("Debited 30.00 from John");
    String dany =
        open("Daenerys", "Targaryen", "daenerys@dragonstone.example", "$Dracarys!", "0.00");
    transfer(john, dany, "45.50", "Daenerys");
    String refusedDebit = refusedDebit(john, "1000.00");
    String arya = open("Arya", "Stark", "arya@winterfell.example", "$ValarMorghulis", "0.00");
    service.closeAccount(arya);
    say("Closed Arya's account");
    transfer(john, arya, "20.00", "Arya's closed account");
    return report(refusedDebit);
  }

  private Result report(String refusedDebit) throws Exception {
    List<String> differences = new ArrayList<>(awaitReadModels());
    ScenarioReport report = new ScenarioReport(bank, out);
    report.readModels();
    report.writeModel(accountIds, transferIds);
    report.correlation(transferIds.get(0), "the transfer to Daenerys");
    report.correlation(transferIds.get(1), "the transfer to Arya's closed account");
    report.correlation(refusedDebit, "the refused debit");
    report.journal();
    report.sync(differences);
    out.println();
    differences.addAll(new RebuildReport(bank, out).rebuildAndCompare());
    return new Result(
        List.copyOf(accountIds), List.copyOf(transferIds), refusedDebit, List.copyOf(differences));
  }

  private String open(
      String firstName, String lastName, String email, String password, String balance) {
    String id = service.openAccount(firstName, lastName, email, password, new BigDecimal(balance));
    accountIds.add(id);
    say(
        "Opened account "
            + EventText.shortId(id)
            + " for "
            + firstName
            + " "
            + lastName
            + " <"
            + email
            + "> with "
            + balance);
    return id;
  }

  private void creditThroughTheBus(String accountId, String... amounts) throws TimeoutException {
    List<Command> sent = new ArrayList<>();
    for (String amount : amounts) {
      sent.add(service.send(new CreditAccount(accountId, new BigDecimal(amount))));
    }
    for (Command command : sent) {
      service.awaitOutcome(command, TIMEOUT);
    }
    say("Credited " + String.join(" and ", amounts) + " to John through the command bus");
  }

  private void transfer(String from, String to, String amount, String toWhom)
      throws TimeoutException {
    String id = service.transfer(from, to, new BigDecimal(amount));
    transferIds.add(id);
    MoneyTransfer transfer = service.awaitTransfer(id, TIMEOUT);
    say(
        "Transferred "
            + amount
            + " from John to "
            + toWhom
            + ": "
            + transfer.state()
            + (transfer.failureReason() == null ? "" : " (" + transfer.failureReason() + ")"));
  }

  private String refusedDebit(String accountId, String amount) {
    Command debit = Command.create(new DebitAccount(accountId, new BigDecimal(amount)));
    try {
      service.execute(debit);
      throw new IllegalStateException("The bank let John overdraw his account");
    } catch (InsufficientFundsException e) {
      say("Debit of " + amount + " refused: " + e.getMessage());
    }
    return debit.correlationId();
  }

  private List<String> awaitReadModels() {
    try {
      bank.awaitReadModels(accountIds, transferIds, TIMEOUT);
    } catch (TimeoutException e) {
      // Reported below as the differences the read models still have.
      out.println("  (" + e.getMessage() + ")");
    }
    return ReadModelCheck.differences(bank, accountIds, transferIds);
  }

  private void say(String what) {
    out.printf("%2d. %s%n", ++step, what);
  }
}
