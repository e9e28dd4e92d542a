package io.cqrs.example.bank.domain;

import io.cqrs.TypeName;
import java.math.BigDecimal;
import java.util.List;

/**
 * The events of an {@link Account}'s stream. Each is a record named for what happened; its logical
 * type name (stored and transported) is the record's simple name. Amounts are normalised by {@link
 * Money} before an event is raised.
 */
public sealed interface AccountEvent {

  /** Every account event type, for registering them all at once. */
  static List<Class<?>> types() {
    return List.of(AccountEvent.class.getPermittedSubclasses());
  }

  /**
   * An account was opened (andrewwebber's {@code AccountCreatedEvent}).
   *
   * <p>Revision 2 added {@code owner}; {@link BankTypes#registry()} upcasts a revision-1 event
   * (stored before accounts had owners) to one with {@link Account#NO_OWNER}.
   *
   * @param passwordHash a {@link PasswordHasher} hash, never the password
   * @param owner the API user the account belongs to, or {@link Account#NO_OWNER}
   */
  @TypeName(revision = 2)
  record AccountOpened(
      String firstName,
      String lastName,
      String email,
      String passwordHash,
      BigDecimal initialBalance,
      String owner)
      implements AccountEvent {

    /** An account that no API user owns. */
    public AccountOpened(
        String firstName,
        String lastName,
        String email,
        String passwordHash,
        BigDecimal initialBalance) {
      this(firstName, lastName, email, passwordHash, initialBalance, Account.NO_OWNER);
    }
  }

  /** The owner's email address changed. */
  record EmailAddressChanged(String previousEmail, String newEmail) implements AccountEvent {}

  /** The owner's password changed; only its new hash is kept. */
  record PasswordChanged(String newPasswordHash) implements AccountEvent {}

  /**
   * Money came in.
   *
   * @param transferId the transfer this credit completes, or {@code null} for a plain credit
   */
  record AccountCredited(BigDecimal amount, String transferId) implements AccountEvent {}

  /**
   * Money went out.
   *
   * @param transferId the transfer this debit pays, or {@code null} for a plain debit
   */
  record AccountDebited(BigDecimal amount, String transferId) implements AccountEvent {}

  /** Money debited for a transfer that could not be completed came back. */
  record AccountRefunded(BigDecimal amount, String transferId) implements AccountEvent {}

  /** The account was closed with a zero balance. */
  record AccountClosed() implements AccountEvent {}

  /**
   * The account refused to pay a transfer (for instance, insufficient funds). Unlike a plain debit,
   * which is simply rejected, a transfer's debit is decided once and the decision recorded, so that
   * a redelivered command cannot decide differently later.
   */
  record TransferDebitRefused(String transferId, BigDecimal amount, String reason)
      implements AccountEvent {}

  /** The account refused to receive a transfer (it is closed); the source will be refunded. */
  record TransferCreditRefused(String transferId, BigDecimal amount, String reason)
      implements AccountEvent {}
}
