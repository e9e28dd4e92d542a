package io.cqrs.example.bank.domain;

import java.math.BigDecimal;

/**
 * The commands an {@link Account} handles (see {@link AccountCommandHandlers}). Each names the
 * account it is for; the plain ones come from users, the {@code ...ForTransfer} ones from the
 * {@link TransferProcess}. Passwords travel only as hashes: commands cross the bus and may be
 * stored in a dead-letter queue.
 */
public sealed interface AccountCommand {

  /** The id of the account the command is for. */
  String accountId();

  /**
   * Opens an account under a new id, for {@code owner}: the API user who may use it ({@link
   * Account#NO_OWNER} for an account that only administrators reach).
   */
  record OpenAccount(
      String accountId,
      String firstName,
      String lastName,
      String email,
      String passwordHash,
      BigDecimal initialBalance,
      String owner)
      implements AccountCommand {

    /** An account that no API user owns. */
    public OpenAccount(
        String accountId,
        String firstName,
        String lastName,
        String email,
        String passwordHash,
        BigDecimal initialBalance) {
      this(accountId, firstName, lastName, email, passwordHash, initialBalance, Account.NO_OWNER);
    }
  }

  /** Changes the owner's email address. */
  record ChangeEmailAddress(String accountId, String newEmail) implements AccountCommand {}

  /** Changes the owner's password to the one {@code newPasswordHash} was made from. */
  record ChangePassword(String accountId, String newPasswordHash) implements AccountCommand {}

  /** Puts money in. */
  record CreditAccount(String accountId, BigDecimal amount) implements AccountCommand {}

  /** Takes money out; refused when the balance is too low. */
  record DebitAccount(String accountId, BigDecimal amount) implements AccountCommand {}

  /** Closes an empty account. */
  record CloseAccount(String accountId) implements AccountCommand {}

  /** Pays a transfer from this account, or records why not. */
  record DebitAccountForTransfer(String accountId, String transferId, BigDecimal amount)
      implements AccountCommand {}

  /** Receives a transfer into this account, or records why not. */
  record CreditAccountForTransfer(String accountId, String transferId, BigDecimal amount)
      implements AccountCommand {}

  /** Gives back exactly what this account paid for a transfer that failed. */
  record RefundAccountForTransfer(String accountId, String transferId) implements AccountCommand {}
}
