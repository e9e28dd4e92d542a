package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Set;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The console as a user sees it: what a test does with it is what a person would do (type into
 * labelled fields, press buttons), and what it reads is what the page shows.
 */
final class ConsolePage {
  private static final Set<String> SETTLED = Set.of("succeeded", "rejected", "failed");

  private final Browser browser;
  private final URI base;

  ConsolePage(Browser browser, URI base) {
    this.browser = browser;
    this.base = base;
  }

  /** Loads the console from the server's root (which redirects to it). */
  ConsolePage load() {
    browser.driver().get(base.toString());
    browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-form")));
    return this;
  }

  void signIn(String user, String secret) {
    fill("user", user);
    fill("secret", secret);
    browser.byId("sign-in-form").findElement(By.cssSelector("button[type=submit]")).click();
  }

  /**
   * Signs in and waits for the signed-in page to show the read models' first answer, as a person
   * would before pressing anything: until then the page above the forms may still change height,
   * and a click while it moves can land beside its button.
   */
  ConsolePage signInAs(String user) {
    signIn(user, ApiClient.SECRETS.get(user));
    browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    browser
        .waiting()
        .withMessage(() -> "the read models' first answer; the page says: " + live())
        .until(driver -> live().startsWith("Read models as of"));
    return this;
  }

  private String live() {
    return browser.byId("live").getText();
  }

  void fill(String id, String text) {
    WebElement field = browser.byId(id);
    field.clear();
    field.sendKeys(text);
  }

  /** Opens an account through the form and returns its id (its command's id). */
  String openAccount(String firstName, String lastName, String initialBalance) {
    fill("open-first", firstName);
    fill("open-last", lastName);
    fill("open-email", firstName.toLowerCase().replaceAll("[^a-z]", "") + "@cqrs.example");
    fill("open-password", "$ecretPassw0rd");
    fill("open-balance", initialBalance);
    Entry command = submit(() -> button("open-form", "Open account").click());
    assertThat(command.status()).as(command.detail()).isEqualTo("succeeded");
    // The new row goes into the accounts table above the forms: the next click waits for it.
    browser
        .waiting()
        .withMessage(() -> "a row for the account opened by " + command.id())
        .until(driver -> balance(command.id()) != null);
    return command.id();
  }

  Entry deposit(String accountId, String amount) {
    return money(accountId, amount, "deposit");
  }

  Entry withdraw(String accountId, String amount) {
    return money(accountId, amount, "withdraw");
  }

  private Entry money(String accountId, String amount, String button) {
    awaitChoice("money-account", accountId);
    new Select(browser.byId("money-account")).selectByValue(accountId);
    fill("money-amount", amount);
    return submit(() -> browser.byId(button).click());
  }

  Entry transfer(String from, String to, String amount) {
    awaitChoice("transfer-from", from);
    new Select(browser.byId("transfer-from")).selectByValue(from);
    fill("transfer-to", to);
    fill("transfer-amount", amount);
    return submit(() -> button("transfer-form", "Transfer").click());
  }

  private void awaitChoice(String selectId, String value) {
    browser
        .waiting()
        .withMessage(() -> "#" + selectId + " to offer " + value)
        .until(
            driver ->
                !driver
                    .findElements(By.cssSelector("#" + selectId + " option[value='" + value + "']"))
                    .isEmpty());
  }

  WebElement button(String formId, String text) {
    return browser.byId(formId).findElements(By.tagName("button")).stream()
        .filter(b -> b.getText().equals(text))
        .findFirst()
        .orElseThrow();
  }

  /** What became of one command, as its entry in the command list shows it. */
  record Entry(String id, String status, String detail) {}

  /** Does {@code action}, then waits for the new command entry it makes to show an outcome. */
  Entry submit(Runnable action) {
    int before = commandEntries().size();
    action.run();
    browser
        .waiting()
        .withMessage(() -> "a new entry in the command list, which has " + before)
        .until(driver -> commandEntries().size() > before);
    WebElement entry = commandEntries().get(0);
    browser
        .waiting()
        .withMessage(() -> "an outcome for: " + entry.getText())
        .until(driver -> SETTLED.contains(entry.getDomAttribute("data-status")));
    return new Entry(
        entry.getDomAttribute("data-command-id"),
        entry.getDomAttribute("data-status"),
        entry.findElement(By.className("detail")).getText());
  }

  List<WebElement> commandEntries() {
    return browser.driver().findElements(By.cssSelector("#commands > li"));
  }

  /** The balance an account's row shows, or null while it has no row. */
  String balance(String accountId) {
    List<WebElement> cells =
        browser
            .driver()
            .findElements(By.cssSelector("tr[data-account-id='" + accountId + "'] td.balance"));
    return cells.isEmpty() ? null : cells.get(0).getText();
  }

  /** Waits until the account's row shows {@code balance}, as the read model catches up. */
  void awaitBalance(String accountId, String balance) {
    browser
        .waiting()
        .withMessage(() -> accountId + " to show " + balance + ", shows " + balance(accountId))
        .until(driver -> balance.equals(balance(accountId)));
  }

  /** Opens the account's history and returns its rows' cells as text. */
  List<List<String>> history(String accountId) {
    browser
        .driver()
        .findElement(
            By.cssSelector("tr[data-account-id='" + accountId + "'] button[aria-label^=History]"))
        .click();
    browser
        .waiting()
        .until(ExpectedConditions.textToBe(By.id("history-title"), "History of " + accountId));
    // The title is set before the rows are fetched; the title takes the focus (from the button just
    // clicked) once they are in.
    browser
        .waiting()
        .until(
            driver ->
                "history-title"
                    .equals(
                        browser.script(
                            "return document.activeElement && document.activeElement.id;")));
    return browser.byId("history-table").findElements(By.cssSelector("tbody tr")).stream()
        .map(row -> row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList())
        .toList();
  }

  /** Marks the loaded document, to show later that the page was never reloaded. */
  String markDocument() {
    String marker = java.util.UUID.randomUUID().toString();
    browser.script("window.consoleTestMarker = arguments[0];", marker);
    return marker;
  }

  Object documentMarker() {
    return browser.script("return window.consoleTestMarker;");
  }
}
