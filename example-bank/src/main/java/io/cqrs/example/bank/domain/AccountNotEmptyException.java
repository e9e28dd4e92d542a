package io.cqrs.example.bank.domain;

import java.math.BigDecimal;

/** An account can only be closed once its balance is zero, so that no money disappears. */
public final class AccountNotEmptyException extends BankException {
  private static final long serialVersionUID = 1L;

  /** The account still holds {@code balance}. */
  public AccountNotEmptyException(String accountId, BigDecimal balance) {
    super(
        "Account '"
            + accountId
            + "' still holds "
            + balance.toPlainString()
            + "; only an empty account can be closed");
  }
}
