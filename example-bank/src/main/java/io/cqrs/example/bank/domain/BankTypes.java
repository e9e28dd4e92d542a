package io.cqrs.example.bank.domain;

import io.cqrs.TypeRegistry;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import java.util.List;
import java.util.stream.Stream;

/** The bank's message types, for the framework's {@link TypeRegistry}. */
public final class BankTypes {
  private BankTypes() {}

  /**
   * A registry of every type the bank stores or sends, under its logical name: the allow-list the
   * serializer reads messages with. Registering the aggregates checks their event handlers at once,
   * so a missing {@code handle<Event>} method fails here, at startup, by name.
   */
  public static TypeRegistry registry() {
    return new TypeRegistry()
        .registerAggregate(Account.class, AccountEvent.types().toArray(Class<?>[]::new))
        .registerAggregate(MoneyTransfer.class, TransferEvent.types().toArray(Class<?>[]::new))
        .registerCommands(AccountCommand.class.getPermittedSubclasses())
        .registerCommands(TransferCommand.class.getPermittedSubclasses())
        // Accounts opened before they had owners belong to no API user: administrators only.
        .upcaster(AccountOpened.class, 1, opened -> opened.put("owner", Account.NO_OWNER));
  }

  /** Every event type of the bank's aggregates: what its event bus carries. */
  public static List<Class<?>> events() {
    return Stream.concat(AccountEvent.types().stream(), TransferEvent.types().stream()).toList();
  }
}
