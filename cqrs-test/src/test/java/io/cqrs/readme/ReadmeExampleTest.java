package io.cqrs.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Cqrs;
import io.cqrs.EventSourceBased;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The example of README.md, kept compiling and true: lines between the markers are the README's.
 */
class ReadmeExampleTest {
  // README-BEGIN
  record Deposit(String accountId, BigDecimal amount) {}

  record MoneyDeposited(BigDecimal amount) {}

  static final class Account extends EventSourceBased {
    private BigDecimal balance = BigDecimal.ZERO;

    Account(String id) {
      super(id);
    }

    void deposit(BigDecimal amount) {
      if (amount.signum() <= 0) throw new IllegalArgumentException("amount must be positive");
      update(new MoneyDeposited(amount));
    }

    private void handleMoneyDeposited(MoneyDeposited e) {
      balance = balance.add(e.amount());
    }
  }

  @Test
  void deposits_reach_the_read_model() {
    var cqrs = Cqrs.builder().aggregate(Account.class, MoneyDeposited.class).build(); // in memory
    var accounts = cqrs.repository();
    cqrs.onCommand(
        Deposit.class,
        (deposit, command) -> {
          var account =
              accounts
                  .find(deposit.accountId(), Account::new) // snapshot + events
                  .orElseGet(() -> new Account(deposit.accountId()));
          account.deposit(deposit.amount());
          accounts.save(account, command); // optimistic, and at most once per command
        });

    Map<String, BigDecimal> balances = new ConcurrentHashMap<>(); // a read model
    cqrs.onEvent(
        "balances",
        MoneyDeposited.class,
        e ->
            balances.merge(
                e.sourceId(), e.eventAs(MoneyDeposited.class).amount(), BigDecimal::add));

    cqrs.start();
    cqrs.send(new Deposit("acc-1", new BigDecimal("50.00")));
    // README-END

    Await.until(
        Duration.ofSeconds(10),
        () -> "balance of acc-1 to be 50.00, is " + balances.get("acc-1"),
        () -> new BigDecimal("50.00").equals(balances.get("acc-1")));
    assertThat(accounts.get("acc-1", Account::new).balance).isEqualByComparingTo("50.00");
    cqrs.close();
  }
}
