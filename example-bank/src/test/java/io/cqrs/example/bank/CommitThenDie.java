package io.cqrs.example.bank;

import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.math.BigDecimal;
import java.util.List;

/**
 * A test main that dies the worst way for publication: it opens an account on the Couchbase store
 * of {@code --prefix P} (settings from the {@code CQRS_*} variables), and its repository's
 * publisher halts the JVM ({@code halt(137)}, as SIGKILL would) before publishing anything, right
 * after the commit. Arguments: the prefix and the account id.
 */
public final class CommitThenDie {
  /** The status the JVM halts with, as if killed by SIGKILL. */
  static final int KILLED = 137;

  private CommitThenDie() {}

  public static void main(String[] args) {
    InfrastructureOptions options =
        InfrastructureOptions.fromEnvironment(
            InfrastructureOptions.Store.COUCHBASE,
            InfrastructureOptions.Bus.MEMORY,
            args[0],
            System.getenv());
    BankInfrastructure infrastructure = BankInfrastructure.create(options);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(infrastructure.store(), infrastructure.types())
            .publisher(new HaltingBus())
            .build();
    Account account =
        Account.open(
            args[1],
            "Ned",
            "Stark",
            "ned@winterfell.example",
            new PasswordHasher(1_000).hash("$WinterIsComing"),
            new BigDecimal("10.00"));
    repository.save(account, args[1]);
    throw new IllegalStateException("The publisher should have halted the JVM");
  }

  /** A bus that kills the process when asked to publish. */
  private static final class HaltingBus implements EventBus {
    @Override
    public void publish(List<VersionedEvent> events) {
      Runtime.getRuntime().halt(KILLED);
    }

    @Override
    public Subscription subscribe(
        String subscription, int listeners, VersionedEventHandler consumer) {
      throw new UnsupportedOperationException("This bus only dies");
    }

    @Override
    public void close() {}
  }
}
