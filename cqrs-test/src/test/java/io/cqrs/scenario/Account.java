package io.cqrs.scenario;

import io.cqrs.EventSourceBased;
import io.cqrs.scenario.AccountEvents.AccountCreated;
import io.cqrs.scenario.AccountEvents.AccountCredited;
import io.cqrs.scenario.AccountEvents.AccountDebited;
import io.cqrs.scenario.AccountEvents.EmailAddressChanged;
import io.cqrs.scenario.AccountEvents.PasswordChanged;
import java.math.BigDecimal;

/** andrewwebber's bank account: the write model, changed only through its events. */
final class Account extends EventSourceBased {
  /** The account cannot cover a debit: a domain rejection. */
  static final class InsufficientFundsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InsufficientFundsException(String accountId, BigDecimal balance, BigDecimal amount) {
      super("Account " + accountId + " has " + balance + " and cannot be debited " + amount);
    }
  }

  private String firstName;
  private String lastName;
  private String emailAddress;
  private String passwordHash;
  private BigDecimal balance = BigDecimal.ZERO;

  Account(String id) {
    super(id);
  }

  static Account create(
      String id,
      String firstName,
      String lastName,
      String emailAddress,
      String password,
      BigDecimal initialBalance) {
    Account account = new Account(id);
    account.update(
        new AccountCreated(
            firstName, lastName, emailAddress, Passwords.hash(password), initialBalance));
    return account;
  }

  void changePassword(String newPassword) {
    if (newPassword == null || newPassword.isEmpty()) {
      throw new IllegalArgumentException("Invalid newPassword length");
    }
    update(new PasswordChanged(Passwords.hash(newPassword)));
  }

  void changeEmailAddress(String newEmailAddress) {
    if (newEmailAddress == null || !newEmailAddress.contains("@")) {
      throw new IllegalArgumentException("Invalid email address: " + newEmailAddress);
    }
    update(new EmailAddressChanged(emailAddress, newEmailAddress));
  }

  void credit(BigDecimal amount) {
    requirePositive(amount);
    update(new AccountCredited(amount));
  }

  void debit(BigDecimal amount) {
    requirePositive(amount);
    if (balance.compareTo(amount) < 0) {
      throw new InsufficientFundsException(id(), balance, amount);
    }
    update(new AccountDebited(amount));
  }

  boolean passwordMatches(String password) {
    return Passwords.matches(password, passwordHash);
  }

  String firstName() {
    return firstName;
  }

  String lastName() {
    return lastName;
  }

  String emailAddress() {
    return emailAddress;
  }

  String passwordHash() {
    return passwordHash;
  }

  BigDecimal balance() {
    return balance;
  }

  private static void requirePositive(BigDecimal amount) {
    if (amount == null || amount.signum() <= 0) {
      throw new IllegalArgumentException("amount must be positive, was " + amount);
    }
  }

  private void handleAccountCreated(AccountCreated e) {
    firstName = e.firstName();
    lastName = e.lastName();
    emailAddress = e.emailAddress();
    passwordHash = e.passwordHash();
    balance = e.initialBalance();
  }

  private void handleEmailAddressChanged(EmailAddressChanged e) {
    emailAddress = e.newEmailAddress();
  }

  private void handlePasswordChanged(PasswordChanged e) {
    passwordHash = e.newPasswordHash();
  }

  private void handleAccountCredited(AccountCredited e) {
    balance = balance.add(e.amount());
  }

  private void handleAccountDebited(AccountDebited e) {
    balance = balance.subtract(e.amount());
  }
}
