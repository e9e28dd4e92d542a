package io.cqrs.example.bank;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the bank's processes consume from RabbitMQ: its command service with every command type it
 * handles, and its event subscriptions. An operator declares it ({@code declare-topology}, {@link
 * BankInfrastructure#declareTopology}) before processes whose buses only check their topology
 * ({@code --rabbitmq-declare-topology false}) start.
 *
 * @param service the command service, {@link Bank#COMMAND_SERVICE}
 * @param commandTypes the type names of the commands it handles, sorted
 * @param subscriptions the event subscriptions it consumes
 */
public record BankTopology(String service, Set<String> commandTypes, List<String> subscriptions) {

  public BankTopology {
    Objects.requireNonNull(service, "service");
    commandTypes = Set.copyOf(commandTypes);
    subscriptions = List.copyOf(subscriptions);
  }

  /**
   * What {@code serve} and {@code worker} with read models in Couchbase, and {@code demo}, consume:
   * learnt from a bank built, never started, on in-memory infrastructure, so that it names what the
   * running bank registers. ({@code serve} with {@code --store memory} names its journal's
   * subscription at random, which no operator can declare beforehand.)
   */
  public static BankTopology required() {
    try (BankInfrastructure memory = BankInfrastructure.inMemory();
        Bank bank = Bank.create(memory)) {
      return of(bank);
    }
  }

  /** What {@code bank} consumes once started. */
  static BankTopology of(Bank bank) {
    return new BankTopology(
        Bank.COMMAND_SERVICE,
        bank.cqrs().commands().commandTypes(),
        List.of(bank.journalSubscription()));
  }

  /** The command types in alphabetical order. */
  public List<String> sortedCommandTypes() {
    return List.copyOf(new TreeSet<>(commandTypes));
  }
}
