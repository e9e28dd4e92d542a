package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.http.ConsolePage.Entry;
import java.math.BigDecimal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The web console in a real headless Chromium against {@code serve}'s HTTP server on the in-memory
 * store and buses: the issue's walk-through, and what a browser alone can show (text that is never
 * markup, a phone-sized screen, the keyboard alone, who sees the operations panel).
 */
class ConsoleBrowserTest {
  @RegisterExtension static final Browser browser = new Browser();
  private static final Breakdown breakdown = new Breakdown();

  private static ServedBank served;
  private ConsolePage page;

  @BeforeAll
  static void start() {
    browser.start(1280, 900);
    served = ServedBank.inMemory(breakdown);
  }

  @AfterAll
  static void stop() {
    browser.close();
    if (served != null) {
      served.close();
    }
  }

  @BeforeEach
  void freshPage() {
    breakdown.repair();
    browser.driver().manage().window().setSize(new Dimension(1280, 900));
    page = new ConsolePage(browser, served.uri());
  }

  @Test
  void sign_in_open_two_accounts_transfer_watch_balances_see_a_refusal_and_the_history() {
    ConsoleScenario.run(page);
  }

  @Test
  void a_long_history_shows_its_last_events_and_says_how_many_earlier_ones_it_leaves_out()
      throws Exception {
    ApiClient bob = ApiClient.as("bob", served.uri());
    String account = bob.open("Dan", "1.00");
    for (int i = 0; i < 110; i++) {
      ApiClient.Reply credit = bob.post("/accounts/" + account + "/credit", "{\"amount\":1}");
      assertThat(credit.status()).as(credit.raw().body()).isLessThan(300);
    }
    long version = served.infrastructure().store().version(account);
    page.load().signInAs("bob");
    page.awaitBalance(account, "111.00");

    java.util.List<java.util.List<String>> history = page.history(account);

    assertThat(history).hasSize(100);
    assertThat(history.get(0).get(0)).isEqualTo(Long.toString(version - 99));
    assertThat(history.get(99).get(0)).isEqualTo(Long.toString(version));
    assertThat(browser.byId("history-more").getText())
        .isEqualTo("Showing 100 events. " + (version - 100) + " earlier events are not shown.");
  }

  @Test
  void a_wrong_secret_is_reported_on_the_page() {
    page.load().signIn("alice", "not-alice-secret");

    browser
        .waiting()
        .until(ExpectedConditions.textToBe(By.id("sign-in-error"), "Wrong user name or secret."));
    assertThat(browser.byId("app").isDisplayed()).isFalse();
  }

  @Test
  void text_from_the_read_models_is_shown_as_text_never_run_as_markup() throws Exception {
    String hostile = "<img src=x onerror=\"window.pwned=1\">";
    ApiClient alice = ApiClient.as("alice", served.uri());
    // An account's holder name is what a customer typed: open one named with markup.
    ApiClient.Reply opened =
        alice.post(
            "/accounts",
            "{\"firstName\":\""
                + hostile.replace("\"", "\\\"")
                + "\",\"lastName\":\"</td><script>window.pwned=2</script>\",\"email\":"
                + "\"x@cqrs.example\",\"password\":\"$ecretPassw0rd\",\"initialBalance\":1}");
    assertThat(opened.status()).as(opened.raw().body()).isEqualTo(201);
    String hostileId = opened.body().get("commandId").asText();

    page.load().signInAs("alice");
    page.awaitBalance(hostileId, "1.00");

    WebElement holder =
        browser
            .driver()
            .findElement(By.cssSelector("tr[data-account-id='" + hostileId + "'] td:nth-child(2)"));
    assertThat(holder.getText()).isEqualTo(hostile + " </td><script>window.pwned=2</script>");
    assertThat(browser.driver().findElements(By.cssSelector("#accounts img, #accounts script")))
        .isEmpty();
    assertThat(browser.script("return window.pwned === undefined;")).isEqualTo(true);
  }

  @Test
  void on_a_phone_sized_screen_nothing_scrolls_sideways_and_every_form_still_works() {
    browser.driver().manage().window().setSize(new Dimension(375, 740));
    page.load().signInAs("bob");
    String account = page.openAccount("Phoebe", "Phone", "10");
    Entry deposit = page.deposit(account, "2.50");

    assertThat(deposit.status()).as(deposit.detail()).isEqualTo("succeeded");
    page.awaitBalance(account, "12.50");
    Object overflow =
        browser.script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
    Object wide =
        browser.script(
            "const width = document.documentElement.clientWidth;"
                + " return Array.from(document.querySelectorAll('body *'))"
                + ".filter(e => e.getBoundingClientRect().right > width + 0.5)"
                + ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 10).join(' ');");
    assertThat(((Number) overflow).intValue())
        .as("pixels scrolled sideways, by: " + wide)
        .isLessThanOrEqualTo(0);
    assertThat(page.button("open-form", "Open account").getSize().getHeight())
        .as("a touch target's height")
        .isGreaterThanOrEqualTo(44);
  }

  @Test
  void the_keyboard_alone_signs_in_and_deposits() {
    String account;
    try {
      account = ApiClient.as("bob", served.uri()).open("Kim", "0");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    page.load();
    // The user field has the focus on load; Tab and Enter do the rest.
    browser.driver().switchTo().activeElement().sendKeys("bob", Keys.TAB);
    browser.driver().switchTo().activeElement().sendKeys(ApiClient.SECRETS.get("bob"), Keys.ENTER);
    browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    page.awaitBalance(account, "0.00");

    browser.byId("money-account").sendKeys(Keys.HOME);
    new org.openqa.selenium.support.ui.Select(browser.byId("money-account")).selectByValue(account);
    Entry deposit = page.submit(() -> browser.byId("money-amount").sendKeys("4", Keys.ENTER));

    assertThat(deposit.status()).as(deposit.detail()).isEqualTo("succeeded");
    page.awaitBalance(account, "4.00");
    for (WebElement field : browser.driver().findElements(By.cssSelector("input, select"))) {
      String id = field.getDomAttribute("id");
      assertThat(browser.driver().findElements(By.cssSelector("label[for='" + id + "']")))
          .as("a label for #" + id)
          .hasSize(1);
    }
  }

  @Test
  void an_administrator_sees_processor_and_relay_lag_a_customer_does_not() {
    page.load().signInAs("alice");
    assertThat(browser.byId("operations").isDisplayed()).isFalse();
    browser.byId("sign-out").click();

    page.signInAs("root");
    browser
        .waiting()
        .until(
            ExpectedConditions.numberOfElementsToBeMoreThan(
                By.cssSelector("#processors tbody tr"), 0));
    assertThat(browser.byId("operations").isDisplayed()).isTrue();
    assertThat(browser.byId("relay").getText()).startsWith("Relay: ");
    for (WebElement lag : browser.driver().findElements(By.cssSelector("#processors td.lag"))) {
      assertThat(lag.getText()).matches("\\d+|n/a");
    }
    assertThat(browser.byId("readiness").getText()).isEqualTo("This instance is ready.");
  }

  @Test
  void an_administrator_replays_a_dead_command_and_a_dead_event_from_the_operations_panel()
      throws Exception {
    ApiClient alice = ApiClient.as("alice", served.uri());
    String account = alice.open("Dora", "100");
    breakdown.breakDown(Bank.COMMAND_SERVICE);
    served
        .infrastructure()
        .commandBus()
        .publish(Command.create(new CreditAccount(account, new BigDecimal("25.00"))));
    page.load().signInAs("root");

    WebElement queue =
        browser
            .waiting()
            .until(
                ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("[data-queue='commands/" + Bank.COMMAND_SERVICE + "']")));
    assertThat(queue.getText()).contains("CreditAccount").contains(Breakdown.FAILURE);
    breakdown.repair();
    Entry replayed = page.submit(() -> queue.findElement(By.tagName("button")).click());

    assertThat(replayed.status()).as(replayed.detail()).isEqualTo("succeeded");
    assertThat(replayed.detail()).isEqualTo("1 replayed");
    page.awaitBalance(account, "125.00");

    breakdown.breakDown("bank-accounts");
    alice.post("/accounts/" + account + "/credit", "{\"amount\":\"5.00\"}");
    WebElement letter =
        browser
            .waiting()
            .until(
                ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("#dead-letters li[data-failure-id]")));
    assertThat(letter.getText()).contains("AccountCredited").contains(account);
    breakdown.repair();
    Entry applied = page.submit(() -> letter.findElement(By.tagName("button")).click());

    assertThat(applied.status()).as(applied.detail()).isEqualTo("succeeded");
    page.awaitBalance(account, "130.00");
    browser
        .waiting()
        .until(
            ExpectedConditions.textToBe(
                By.id("dead-letters"), "None: every message and event was handled."));
  }
}
