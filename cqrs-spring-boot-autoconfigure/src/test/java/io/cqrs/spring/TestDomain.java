package io.cqrs.spring;

import io.cqrs.Command;
import io.cqrs.CommandHandler;
import io.cqrs.Cqrs;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.VersionedEvent;
import java.math.BigDecimal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A one-aggregate domain the auto-configuration tests run (the actuator's tests too). */
public final class TestDomain {
  private TestDomain() {}

  /** Registers {@link Account}, whose events are {@link MoneyDeposited}: every test app's start. */
  @Configuration(proxyBeanMethods = false)
  public static class AccountAggregate {
    @Bean
    CqrsConfigurer accounts() {
      return new CqrsConfigurer() {
        @Override
        public void configure(Cqrs.Builder builder) {
          builder.aggregate(Account.class, MoneyDeposited.class);
        }
      };
    }
  }

  public record Deposit(String accountId, BigDecimal amount) {}

  public record Withdraw(String accountId, BigDecimal amount) {}

  public record MoneyDeposited(BigDecimal amount) {}

  public static final class Account extends EventSourceBased {
    private BigDecimal balance = BigDecimal.ZERO;

    public Account(String id) {
      super(id);
    }

    public void deposit(BigDecimal amount) {
      update(new MoneyDeposited(amount));
    }

    public BigDecimal balance() {
      return balance;
    }

    private void handleMoneyDeposited(MoneyDeposited event) {
      balance = balance.add(event.amount());
    }
  }

  /** A handler bean that declares its command type by implementing the interface in a class. */
  public static final class DepositHandler implements CommandHandler<Deposit> {
    private final EventSourcingRepository accounts;

    public DepositHandler(EventSourcingRepository accounts) {
      this.accounts = accounts;
    }

    @Override
    public void handle(Deposit deposit, Command command) {
      Account account =
          accounts
              .find(deposit.accountId(), Account::new)
              .orElseGet(() -> new Account(deposit.accountId()));
      account.deposit(deposit.amount());
      accounts.save(account, command);
    }
  }

  /** A read model of balances; {@link #hold()} makes it wait in {@code apply} until released. */
  public static final class Balances implements Projection {
    final Map<String, BigDecimal> balances = new ConcurrentHashMap<>();
    final Map<String, Long> versions = new ConcurrentHashMap<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final CountDownLatch applying = new CountDownLatch(1);

    /** Waits until an event reached {@code apply}. */
    public void awaitApplying() throws InterruptedException {
      applying.await();
    }

    public void hold() {
      gate = new CountDownLatch(1);
    }

    public void release() {
      gate.countDown();
    }

    @Override
    public long appliedVersion(String streamId) {
      return versions.getOrDefault(streamId, 0L);
    }

    @Override
    public void apply(VersionedEvent event) throws InterruptedException {
      applying.countDown();
      gate.await();
      balances.merge(
          event.sourceId(), event.eventAs(MoneyDeposited.class).amount(), BigDecimal::add);
      versions.put(event.sourceId(), event.version());
    }
  }
}
