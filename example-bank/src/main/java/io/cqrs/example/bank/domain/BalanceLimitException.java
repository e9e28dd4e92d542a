package io.cqrs.example.bank.domain;

import java.math.BigDecimal;

/**
 * A credit would take the balance past {@link Money#MAX}, the most a deposit may bring an account
 * to. The input is valid; the account's state refuses it, as it refuses a debit beyond the balance.
 * The balance is unchanged.
 */
public final class BalanceLimitException extends BankException {
  private static final long serialVersionUID = 1L;

  /** Account {@code accountId} holds {@code balance}, too much to take {@code amount} more. */
  public BalanceLimitException(String accountId, BigDecimal balance, BigDecimal amount) {
    super(
        "Account '"
            + accountId
            + "' holds "
            + balance.toPlainString()
            + ", cannot credit "
            + amount.toPlainString()
            + ": a balance may not exceed "
            + Money.MAX.toPlainString());
  }
}
