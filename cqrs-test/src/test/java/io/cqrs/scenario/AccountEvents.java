package io.cqrs.scenario;

import java.math.BigDecimal;

/** The bank account's events, as andrewwebber's scenario names them (minus the Event suffix). */
final class AccountEvents {
  private AccountEvents() {}

  record AccountCreated(
      String firstName,
      String lastName,
      String emailAddress,
      String passwordHash,
      BigDecimal initialBalance) {}

  record EmailAddressChanged(String previousEmailAddress, String newEmailAddress) {}

  record PasswordChanged(String newPasswordHash) {}

  record AccountCredited(BigDecimal amount) {}

  record AccountDebited(BigDecimal amount) {}
}
