package io.cqrs.example.bank.domain;

/** The account is closed: it takes no more credits, debits or changes. */
public final class AccountClosedException extends BankException {
  private static final long serialVersionUID = 1L;

  /** The account {@code accountId} is closed. */
  public AccountClosedException(String accountId) {
    super("Account '" + accountId + "' is closed");
  }
}
