package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.BankInfrastructure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's walk-through in a real headless Chromium against the bank as deployed: Couchbase
 * (the mock) and RabbitMQ, where every command answers 202 and the page follows its status resource
 * to the outcome.
 */
class ConsoleBrowserIT {
  @RegisterExtension static final Browser browser = new Browser();

  private static final ServiceServers servers = new ServiceServers();
  private static ServedBank served;

  @BeforeAll
  static void start() {
    browser.start(1280, 900);
    served = ServedBank.on(BankInfrastructure.create(servers.shared("console")), true);
  }

  @AfterAll
  static void stop() {
    browser.close();
    if (served != null) {
      served.close();
    }
    servers.close();
  }

  @Test
  void sign_in_open_two_accounts_transfer_watch_balances_see_a_refusal_and_the_history() {
    ConsoleScenario.run(new ConsolePage(browser, served.uri()));
  }

  @Test
  void an_administrator_sees_the_relay_and_every_processor_with_its_lag() {
    new ConsolePage(browser, served.uri()).load().signInAs("root");

    browser
        .waiting()
        .until(
            ExpectedConditions.numberOfElementsToBeMoreThan(
                By.cssSelector("#processors tbody tr"), 1));
    assertThat(browser.byId("relay").getText()).startsWith("Relay: led by this instance");
    assertThat(browser.driver().findElements(By.cssSelector("#processors td.lag")))
        .allSatisfy(lag -> assertThat(lag.getText()).matches("\\d+"));
  }
}
