package io.cqrs.example.bank.domain;

/** No account has the id a command named. */
public final class UnknownAccountException extends BankException {
  private static final long serialVersionUID = 1L;

  private final String accountId;

  /** No account has the id {@code accountId}. */
  public UnknownAccountException(String accountId) {
    super("Account '" + accountId + "' does not exist");
    this.accountId = accountId;
  }

  /** The id that was not found. */
  public String accountId() {
    return accountId;
  }
}
