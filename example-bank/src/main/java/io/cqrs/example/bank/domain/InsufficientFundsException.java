package io.cqrs.example.bank.domain;

import java.math.BigDecimal;

/** A debit asked for more than the account holds. The balance is unchanged. */
public final class InsufficientFundsException extends BankException {
  private static final long serialVersionUID = 1L;

  private final BigDecimal balance;
  private final BigDecimal amount;

  /** Account {@code accountId} holds {@code balance}, less than {@code amount}. */
  public InsufficientFundsException(String accountId, BigDecimal balance, BigDecimal amount) {
    super(
        "Insufficient funds: account '"
            + accountId
            + "' holds "
            + balance.toPlainString()
            + ", cannot debit "
            + amount.toPlainString());
    this.balance = balance;
    this.amount = amount;
  }

  /** The balance when the debit was refused. */
  public BigDecimal balance() {
    return balance;
  }

  /** The amount asked for. */
  public BigDecimal amount() {
    return amount;
  }
}
