package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.http.ConsolePage.Entry;
import java.util.List;

/**
 * The walk through the console that the issue asks of every deployment: sign in, open two accounts,
 * transfer between them and watch both balances change without a reload, see a rejected command's
 * reason, and read an account's events with their correlation and causation ids.
 */
final class ConsoleScenario {
  private ConsoleScenario() {}

  static void run(ConsolePage page) {
    page.load().signInAs("alice");
    String marker = page.markDocument();

    String ada = page.openAccount("Ada", "Lovelace", "100");
    String bea = page.openAccount("Bea", "Bright", "0");
    page.awaitBalance(ada, "100.00");
    page.awaitBalance(bea, "0.00");

    Entry transfer = page.transfer(ada, bea, "30");
    assertThat(transfer.status()).as(transfer.detail()).isEqualTo("succeeded");
    // The transfer process debits one account and credits the other in the background; the page
    // polls the read models and shows both without being reloaded.
    page.awaitBalance(ada, "70.00");
    page.awaitBalance(bea, "30.00");
    assertThat(page.documentMarker()).as("the page was never reloaded").isEqualTo(marker);

    Entry refused = page.withdraw(bea, "1000");
    assertThat(refused.status()).isEqualTo("rejected");
    assertThat(refused.detail()).contains("Insufficient funds").contains(bea);
    page.awaitBalance(bea, "30.00");

    Entry deposit = page.deposit(bea, "5.25");
    assertThat(deposit.status()).as(deposit.detail()).isEqualTo("succeeded");
    page.awaitBalance(bea, "35.25");

    List<List<String>> history = page.history(bea);
    assertThat(history).extracting(row -> row.get(1)).startsWith("AccountOpened").isNotEmpty();
    assertThat(history).extracting(row -> row.get(0)).startsWith("1", "2");
    List<String> opened = history.get(0);
    // The account's id is its opening command's id, which is the correlation and causation id of
    // the event it caused.
    assertThat(opened.get(3)).isEqualTo(bea);
    assertThat(opened.get(4)).isEqualTo(bea);
    List<String> deposited = history.get(history.size() - 1);
    assertThat(deposited.get(1)).isEqualTo("AccountCredited");
    assertThat(deposited.get(3)).isEqualTo(deposit.id());
    assertThat(deposited.get(4)).isEqualTo(deposit.id());
    assertThat(history)
        .as("the transfer's credit, caused by the transfer process, correlated with its command")
        .anyMatch(row -> row.get(3).equals(transfer.id()) && !row.get(4).equals(transfer.id()));
    assertThat(page.documentMarker()).isEqualTo(marker);
  }
}
