package io.cqrs.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
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
    var types = new TypeRegistry().registerAggregate(Account.class, MoneyDeposited.class);
    var eventBus = new InMemoryEventBus();
    var repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), types)
            .publisher(eventBus)
            .build();

    var commandBus = new InMemoryCommandBus();
    var commands =
        CommandDispatchManager.builder(commandBus, types)
            .build()
            .registerCommandHandler(
                Deposit.class,
                (deposit, envelope) -> {
                  var account =
                      repository
                          .find(deposit.accountId(), Account::new)
                          .orElseGet(() -> new Account(deposit.accountId()));
                  account.deposit(deposit.amount());
                  repository.save(account, envelope);
                })
            .listen("accounts", 1);

    Map<String, BigDecimal> balances = new ConcurrentHashMap<>(); // the read model
    var readModel =
        new VersionedEventDispatchManager(eventBus, types)
            .registerEventHandler(
                MoneyDeposited.class,
                e ->
                    balances.merge(
                        e.sourceId(), e.eventAs(MoneyDeposited.class).amount(), BigDecimal::add))
            .listen("balances", 1);

    commandBus.publish(Command.create(new Deposit("acc-1", new BigDecimal("50.00"))));
    // README-END

    Await.until(
        Duration.ofSeconds(10),
        () -> "balance of acc-1 to be 50.00, is " + balances.get("acc-1"),
        () -> new BigDecimal("50.00").equals(balances.get("acc-1")));
    assertThat(repository.get("acc-1", Account::new).balance).isEqualByComparingTo("50.00");
    commands.close();
    readModel.close();
    commandBus.close();
    eventBus.close();
  }
}
