package io.cqrs.scenario;

import io.cqrs.VersionedEvent;
import io.cqrs.scenario.AccountEvents.AccountCreated;
import io.cqrs.scenario.AccountEvents.AccountCredited;
import io.cqrs.scenario.AccountEvents.AccountDebited;
import io.cqrs.scenario.AccountEvents.EmailAddressChanged;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * andrewwebber's {@code ReadModelAccounts}: one view per account. Delivery is at least once, so an
 * event at or below the version a view has seen is ignored.
 */
final class AccountsReadModel {
  record AccountView(
      String id,
      String firstName,
      String lastName,
      String emailAddress,
      BigDecimal balance,
      long version) {}

  private final Map<String, AccountView> accounts = new ConcurrentHashMap<>();

  Optional<AccountView> account(String id) {
    return Optional.ofNullable(accounts.get(id));
  }

  long versionOf(String id) {
    return account(id).map(AccountView::version).orElse(0L);
  }

  void update(VersionedEvent event) {
    accounts.compute(event.sourceId(), (id, view) -> apply(view, event));
  }

  private static AccountView apply(AccountView view, VersionedEvent event) {
    if (view != null && event.version() <= view.version()) {
      return view;
    }
    Object e = event.event();
    if (e instanceof AccountCreated created) {
      return new AccountView(
          event.sourceId(),
          created.firstName(),
          created.lastName(),
          created.emailAddress(),
          created.initialBalance(),
          event.version());
    }
    if (view == null) {
      return null;
    }
    if (e instanceof EmailAddressChanged changed) {
      return with(view, changed.newEmailAddress(), view.balance(), event.version());
    }
    if (e instanceof AccountCredited credited) {
      return with(
          view, view.emailAddress(), view.balance().add(credited.amount()), event.version());
    }
    if (e instanceof AccountDebited debited) {
      return with(
          view, view.emailAddress(), view.balance().subtract(debited.amount()), event.version());
    }
    return with(view, view.emailAddress(), view.balance(), event.version());
  }

  private static AccountView with(
      AccountView view, String emailAddress, BigDecimal balance, long version) {
    return new AccountView(
        view.id(), view.firstName(), view.lastName(), emailAddress, balance, version);
  }
}
