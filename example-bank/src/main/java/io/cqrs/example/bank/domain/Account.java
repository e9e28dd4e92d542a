package io.cqrs.example.bank.domain;

import io.cqrs.EventSourceBased;
import io.cqrs.example.bank.domain.AccountEvent.AccountClosed;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.AccountEvent.EmailAddressChanged;
import io.cqrs.example.bank.domain.AccountEvent.PasswordChanged;
import io.cqrs.example.bank.domain.AccountEvent.TransferCreditRefused;
import io.cqrs.example.bank.domain.AccountEvent.TransferDebitRefused;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A bank account, event-sourced: the andrewwebber example's {@code Account}.
 *
 * <p>Business methods check the rules, then raise an event with {@link #update(Object)}; the state
 * changes only in the private {@code handle<Event>} methods, which the framework also calls when it
 * replays the account's history. A method that refuses throws before raising anything, so a refused
 * command leaves no trace in the stream.
 *
 * <p>Transfers are different: the account is one step of a {@link MoneyTransfer} process that runs
 * over an at-least-once bus. A refused step is recorded ({@link TransferDebitRefused}, {@link
 * TransferCreditRefused}) so the process can react. A redelivered step takes no effect, yet the
 * account remembers nothing per transfer, so its state (and its snapshots) stay the same size
 * however many transfers it makes: every sender of a step gives it the same message id ({@code
 * <transferId>/<CommandType>}), {@link AccountCommandHandlers} refuses a step under any other, and
 * the store commits a command to a stream at most once. A refund is always accepted, even by an
 * account closed meanwhile or one whose balance it takes past {@link Money#MAX}: money a transfer
 * took must be able to come back, and a closed account pays it out ({@link #debit}).
 */
public final class Account extends EventSourceBased {
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s.]+");
  private static final int MAX_EMAIL_LENGTH = 254;
  private static final int MAX_NAME_LENGTH = 100;

  /** The owner of an account that no API user owns: only administrators reach it. */
  public static final String NO_OWNER = "";

  private String owner = NO_OWNER;
  private String firstName;
  private String lastName;
  private String email;
  private String passwordHash;
  private BigDecimal balance = Money.ZERO;
  private boolean closed;

  /** An empty account with the given id, for the repository to replay history into. */
  public Account(String id) {
    super(id);
  }

  /**
   * Opens a new account.
   *
   * @param passwordHash a hash made by {@link PasswordHasher}; a plain password is refused
   * @throws IllegalArgumentException if a name is blank or too long, the email address is
   *     malformed, the hash is not a hash, or the initial balance is negative or has more than two
   *     decimals
   */
  public static Account open(
      String id,
      String firstName,
      String lastName,
      String email,
      String passwordHash,
      BigDecimal initialBalance) {
    return open(id, firstName, lastName, email, passwordHash, initialBalance, NO_OWNER);
  }

  /**
   * Checks what {@link #open} checks but the password hash, and nothing else: a caller that must
   * hash a password first (an expensive step) refuses a malformed request before it.
   *
   * @throws IllegalArgumentException as {@link #open(String, String, String, String, String,
   *     BigDecimal, String)} would, but for the hash
   */
  public static void checkOpening(
      String firstName, String lastName, String email, BigDecimal initialBalance, String owner) {
    Objects.requireNonNull(owner, "owner");
    if (owner.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "owner must be at most " + MAX_NAME_LENGTH + " characters");
    }
    name("firstName", firstName);
    name("lastName", lastName);
    email(email);
    Money.balance(initialBalance);
  }

  /**
   * Opens a new account that belongs to {@code owner}, the API user who may use it.
   *
   * @throws IllegalArgumentException as {@link #open(String, String, String, String, String,
   *     BigDecimal)}, or if the owner is longer than 100 characters
   */
  public static Account open(
      String id,
      String firstName,
      String lastName,
      String email,
      String passwordHash,
      BigDecimal initialBalance,
      String owner) {
    Objects.requireNonNull(owner, "owner");
    if (owner.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "owner must be at most " + MAX_NAME_LENGTH + " characters");
    }
    Account account = new Account(id);
    account.update(
        new AccountOpened(
            name("firstName", firstName),
            name("lastName", lastName),
            email(email),
            hash(passwordHash),
            Money.balance(initialBalance),
            owner));
    return account;
  }

  /**
   * An email address as an account keeps it (stripped, in lower case), checked as opening an
   * account or changing its address checks it: for a caller that must refuse a malformed address
   * before it sends the command.
   *
   * @throws IllegalArgumentException if it is not an address like ada@example.org, or longer than
   *     254 characters
   */
  public static String checkEmail(String email) {
    return email(email);
  }

  /** Changes the email address; changing it to the address it already has records nothing. */
  public void changeEmailAddress(String newEmail) {
    String valid = email(newEmail);
    requireOpen();
    if (!valid.equals(email)) {
      update(new EmailAddressChanged(email, valid));
    }
  }

  /** Changes the password, given as a {@link PasswordHasher} hash. */
  public void changePassword(String newPasswordHash) {
    String valid = hash(newPasswordHash);
    requireOpen();
    update(new PasswordChanged(valid));
  }

  /**
   * Puts money in.
   *
   * @throws BalanceLimitException if the balance would exceed {@link Money#MAX}; nothing is
   *     recorded
   */
  public void credit(BigDecimal amount) {
    BigDecimal valid = Money.amount(amount);
    requireOpen();
    if (balance.add(valid).compareTo(Money.MAX) > 0) {
      throw new BalanceLimitException(id(), balance, valid);
    }
    update(new AccountCredited(valid, null));
  }

  /**
   * Takes money out. A closed account still pays out what a refund brought back after it closed (a
   * transfer it paid was refused once the close had emptied it), so that no money stays in it for
   * good; with nothing left it refuses as closed.
   *
   * @throws InsufficientFundsException if the balance is lower than the amount; nothing is recorded
   * @throws AccountClosedException if the account is closed and empty
   */
  public void debit(BigDecimal amount) {
    BigDecimal valid = Money.amount(amount);
    if (closed && balance.signum() == 0) {
      throw new AccountClosedException(id());
    }
    if (balance.compareTo(valid) < 0) {
      throw new InsufficientFundsException(id(), balance, valid);
    }
    update(new AccountDebited(valid, null));
  }

  /**
   * Closes the account; closing a closed account records nothing.
   *
   * @throws AccountNotEmptyException if the balance is not zero
   */
  public void close() {
    if (closed) {
      return;
    }
    if (balance.signum() != 0) {
      throw new AccountNotEmptyException(id(), balance);
    }
    update(new AccountClosed());
  }

  /**
   * Pays a transfer, or records why it cannot. Called again for the same transfer, it decides
   * again: the step's command takes effect once (see the class comment), not this method.
   */
  public void debitForTransfer(String transferId, BigDecimal amount) {
    Objects.requireNonNull(transferId, "transferId");
    BigDecimal valid = Money.amount(amount);
    if (closed) {
      update(new TransferDebitRefused(transferId, valid, "the source account is closed"));
    } else if (balance.compareTo(valid) < 0) {
      update(
          new TransferDebitRefused(
              transferId, valid, "insufficient funds: the source account holds " + balance));
    } else {
      update(new AccountDebited(valid, transferId));
    }
  }

  /**
   * Receives a transfer, or records why it cannot: only a closed account refuses one. Called again
   * for the same transfer, it decides again: the step's command takes effect once (see the class
   * comment), not this method.
   *
   * <p>Not even past {@link Money#MAX}, which bounds what the owner credits: whether a transfer
   * went through must not depend on the destination's balance, which its sender may not learn. A
   * transfer refused for taking the balance past the limit told its sender whether the balance was
   * above the limit less the amount, and an adversary's search of such transfers (each refused one
   * refunded, costing nothing) found another customer's exact balance. A balance past the limit
   * takes no credit until debits bring it back below, as after a refund.
   */
  public void creditForTransfer(String transferId, BigDecimal amount) {
    Objects.requireNonNull(transferId, "transferId");
    BigDecimal valid = Money.amount(amount);
    if (closed) {
      update(new TransferCreditRefused(transferId, valid, "the destination account is closed"));
    } else {
      update(new AccountCredited(valid, transferId));
    }
  }

  /**
   * Gives back what this account paid for a transfer whose destination refused it: the transfer's
   * amount, which is what its debit took. The transfer, not this account, remembers that the debit
   * happened: it asks for a refund only once it recorded the debit and the destination's refusal.
   *
   * <p>A refund is never refused, not even when it takes the balance past {@link Money#MAX}: the
   * money left this account, and refusing it back would leave it nowhere. A balance can pass {@link
   * Money#MAX} this way only (the account took deposits while a transfer it paid was still under
   * way); it then takes no credit and receives no transfer until debits bring it back below, and
   * nothing overflows, as balances are exact {@link BigDecimal}s.
   *
   * @throws IllegalStateException if this account is not the transfer's source, or the transfer is
   *     not waiting for a refund ({@link TransferState#COMPENSATING})
   */
  public void refundTransfer(MoneyTransfer transfer) {
    Objects.requireNonNull(transfer, "transfer");
    if (!id().equals(transfer.fromAccountId())) {
      throw new IllegalStateException(
          "Account "
              + id()
              + " did not pay transfer "
              + transfer.id()
              + " (its source is "
              + transfer.fromAccountId()
              + "); there is nothing to refund");
    }
    if (transfer.state() != TransferState.COMPENSATING) {
      throw new IllegalStateException(
          "Transfer "
              + transfer.id()
              + " is "
              + transfer.state()
              + ", not waiting for a refund from account "
              + id());
    }
    update(new AccountRefunded(Money.amount(transfer.amount()), transfer.id()));
  }

  /** The API user the account belongs to, or {@link #NO_OWNER}. */
  public String owner() {
    return owner;
  }

  /** First and last name, separated by a space. */
  public String fullName() {
    return firstName + " " + lastName;
  }

  /** The owner's email address, in lower case. */
  public String email() {
    return email;
  }

  /** The current password's hash. */
  public String passwordHash() {
    return passwordHash;
  }

  /** The balance, with two decimals. */
  public BigDecimal balance() {
    return balance;
  }

  /** Whether the account was closed. */
  public boolean isClosed() {
    return closed;
  }

  private void requireOpen() {
    if (closed) {
      throw new AccountClosedException(id());
    }
  }

  private void handleAccountOpened(AccountOpened event) {
    firstName = event.firstName();
    lastName = event.lastName();
    email = event.email();
    passwordHash = event.passwordHash();
    balance = event.initialBalance();
    owner = event.owner();
  }

  private void handleEmailAddressChanged(EmailAddressChanged event) {
    email = event.newEmail();
  }

  private void handlePasswordChanged(PasswordChanged event) {
    passwordHash = event.newPasswordHash();
  }

  private void handleAccountCredited(AccountCredited event) {
    balance = balance.add(event.amount());
  }

  private void handleAccountDebited(AccountDebited event) {
    balance = balance.subtract(event.amount());
  }

  private void handleAccountRefunded(AccountRefunded event) {
    balance = balance.add(event.amount());
  }

  private void handleAccountClosed(AccountClosed event) {
    closed = true;
  }

  private void handleTransferDebitRefused(TransferDebitRefused event) {
    // A refusal changes nothing here; the transfer reacts to it.
  }

  private void handleTransferCreditRefused(TransferCreditRefused event) {
    // A refusal changes nothing here; the transfer reacts to it.
  }

  private static String name(String field, String value) {
    Objects.requireNonNull(value, field);
    String trimmed = value.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          field + " must be 1 to " + MAX_NAME_LENGTH + " characters and not blank");
    }
    return trimmed;
  }

  private static String email(String value) {
    Objects.requireNonNull(value, "email");
    String trimmed = value.strip().toLowerCase(Locale.ROOT);
    if (trimmed.length() > MAX_EMAIL_LENGTH || !EMAIL.matcher(trimmed).matches()) {
      throw new IllegalArgumentException("email must be an address like ada@example.org");
    }
    return trimmed;
  }

  private static String hash(String passwordHash) {
    if (!PasswordHasher.isEncodedHash(passwordHash)) {
      // The message must not echo the value: it may be a password passed by mistake.
      throw new IllegalArgumentException("passwordHash must be a hash made by PasswordHasher");
    }
    return passwordHash;
  }
}
