package io.cqrs.example.bank.domain;

import io.cqrs.EventSourceBased;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferFailed;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * A transfer of money between two accounts, event-sourced, and the state of the process that
 * carries it out (see {@link TransferProcess}).
 *
 * <pre>
 * CREATED ──debited──▶ DEBITED ──credited──▶ COMPLETED
 *    │                    │
 *    │ debit refused      │ credit refused
 *    ▼                    ▼
 *  FAILED ◀──refunded── COMPENSATING
 * </pre>
 *
 * <p>Every step is idempotent: a step already taken records nothing, so redelivered commands are
 * harmless. A step that contradicts the state (completing a transfer whose source never paid)
 * throws {@link IllegalStateException}. Money is conserved in every outcome: it is either at the
 * source (nothing moved, or refunded) or at the destination.
 */
public final class MoneyTransfer extends EventSourceBased {
  private String fromAccountId;
  private String toAccountId;
  private BigDecimal amount;
  private TransferState state;
  private String failureReason;

  /** An empty transfer with the given id, for the repository to replay history into. */
  public MoneyTransfer(String id) {
    super(id);
  }

  /**
   * Creates a transfer.
   *
   * @throws IllegalArgumentException if the accounts are the same or the amount is invalid
   */
  public static MoneyTransfer create(
      String id, String fromAccountId, String toAccountId, BigDecimal amount) {
    Objects.requireNonNull(fromAccountId, "fromAccountId");
    Objects.requireNonNull(toAccountId, "toAccountId");
    if (fromAccountId.equals(toAccountId)) {
      throw new IllegalArgumentException("a transfer needs two different accounts");
    }
    MoneyTransfer transfer = new MoneyTransfer(id);
    transfer.update(new MoneyTransferCreated(fromAccountId, toAccountId, Money.amount(amount)));
    return transfer;
  }

  /** Records that the source paid. */
  public void recordDebit() {
    if (state == TransferState.CREATED) {
      update(new MoneyTransferDebited(fromAccountId, amount));
    }
  }

  /** Records that the source refused to pay: the transfer fails with nothing moved. */
  public void failDebit(String reason) {
    if (state == TransferState.CREATED) {
      update(new MoneyTransferFailed(reason, false));
    } else if (state != TransferState.FAILED) {
      throw contradiction("fail its debit");
    }
  }

  /** Records that the destination received the money. */
  public void complete() {
    if (state == TransferState.DEBITED) {
      update(new MoneyTransferCompleted(toAccountId, amount));
    } else if (state != TransferState.COMPLETED) {
      throw contradiction("complete");
    }
  }

  /** Records that the destination refused the money: the source is to be refunded. */
  public void refuseCredit(String reason) {
    if (state == TransferState.DEBITED) {
      update(new MoneyTransferCreditRefused(reason));
    } else if (state != TransferState.COMPENSATING && state != TransferState.FAILED) {
      throw contradiction("refuse its credit");
    }
  }

  /** Records that the source was refunded: the transfer has failed. */
  public void recordRefund() {
    if (state == TransferState.COMPENSATING) {
      update(new MoneyTransferFailed(failureReason, true));
    } else if (state != TransferState.FAILED) {
      throw contradiction("record a refund");
    }
  }

  /** The account the money comes from. */
  public String fromAccountId() {
    return fromAccountId;
  }

  /** The account the money goes to. */
  public String toAccountId() {
    return toAccountId;
  }

  /** The amount, with two decimals. */
  public BigDecimal amount() {
    return amount;
  }

  /** Where the transfer is in its process. */
  public TransferState state() {
    return state;
  }

  /** Why the transfer failed or is being compensated; {@code null} otherwise. */
  public String failureReason() {
    return failureReason;
  }

  private IllegalStateException contradiction(String step) {
    return new IllegalStateException("Transfer " + id() + " is " + state + ": cannot " + step);
  }

  private void handleMoneyTransferCreated(MoneyTransferCreated event) {
    fromAccountId = event.fromAccountId();
    toAccountId = event.toAccountId();
    amount = event.amount();
    state = TransferState.CREATED;
  }

  private void handleMoneyTransferDebited(MoneyTransferDebited event) {
    state = TransferState.DEBITED;
  }

  private void handleMoneyTransferCompleted(MoneyTransferCompleted event) {
    state = TransferState.COMPLETED;
  }

  private void handleMoneyTransferCreditRefused(MoneyTransferCreditRefused event) {
    state = TransferState.COMPENSATING;
    failureReason = event.reason();
  }

  private void handleMoneyTransferFailed(MoneyTransferFailed event) {
    state = TransferState.FAILED;
    failureReason = event.reason();
  }
}
