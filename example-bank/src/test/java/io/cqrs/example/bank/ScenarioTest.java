package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The andrewwebber scenario end to end, in memory. */
class ScenarioTest {

  @Test
  void the_scenario_ends_with_the_expected_balances_and_the_read_models_in_sync() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Scenario.Result result;
    String output;
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start()) {
      result = new Scenario(bank, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();
      output = printed.toString(StandardCharsets.UTF_8);

      Account john = bank.service().findAccount(result.accountIds().get(0)).orElseThrow();
      Account dany = bank.service().findAccount(result.accountIds().get(1)).orElseThrow();
      Account arya = bank.service().findAccount(result.accountIds().get(2)).orElseThrow();
      assertThat(john.balance()).isEqualTo(new BigDecimal("100.00"));
      assertThat(john.email()).isEqualTo("john.snow@thewall.example");
      assertThat(new PasswordHasher().matches("$ThisIsANOTHERPassword", john.passwordHash()))
          .isTrue();
      assertThat(dany.balance()).isEqualTo(new BigDecimal("45.50"));
      assertThat(arya.isClosed()).isTrue();
      assertThat(bank.service().findTransfer(result.transferIds().get(0)).orElseThrow().state())
          .isEqualTo(TransferState.COMPLETED);
      assertThat(bank.service().findTransfer(result.transferIds().get(1)).orElseThrow().state())
          .isEqualTo(TransferState.FAILED);
    }

    assertThat(result.inSync()).as("differences: %s", result.differences()).isTrue();
    assertThat(output)
        .contains("Accounts read model")
        .contains("Users read model")
        .contains("Transfers read model")
        .contains("Write model reloaded from history")
        .contains("Events of correlation " + result.transferIds().get(0))
        .contains("Events of correlation " + result.refusedDebitCorrelationId())
        .contains("CommandFailed")
        .contains("MoneyTransferCompleted")
        .contains("AccountRefunded")
        .contains("Read model in sync with write model: yes")
        // The rebuild's progress: written as plain lines here (the output is not a terminal),
        // the last one the whole log.
        .containsPattern("(?m)^replay: (\\d+) of \\1 log positions \\(100%\\)")
        .doesNotContain("ThisIsAPassword")
        .doesNotContain("ThisIsANOTHERPassword");
  }
}
