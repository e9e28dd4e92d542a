package io.cqrs.example.bank.domain;

import java.math.BigDecimal;
import java.util.List;

/**
 * The events of a {@link MoneyTransfer}'s stream: the steps of the transfer process, each recorded
 * once.
 */
public sealed interface TransferEvent {

  /** Every transfer event type, for registering them all at once. */
  static List<Class<?>> types() {
    return List.of(TransferEvent.class.getPermittedSubclasses());
  }

  /** A transfer was asked for; nothing has moved yet. */
  record MoneyTransferCreated(String fromAccountId, String toAccountId, BigDecimal amount)
      implements TransferEvent {}

  /** The source account paid the amount. */
  record MoneyTransferDebited(String fromAccountId, BigDecimal amount) implements TransferEvent {}

  /** The destination account received the amount: the transfer is complete. */
  record MoneyTransferCompleted(String toAccountId, BigDecimal amount) implements TransferEvent {}

  /** The destination refused the amount; the source is being refunded. */
  record MoneyTransferCreditRefused(String reason) implements TransferEvent {}

  /**
   * The transfer failed for good.
   *
   * @param reason why
   * @param refunded whether the source had been debited and was refunded
   */
  record MoneyTransferFailed(String reason, boolean refunded) implements TransferEvent {}
}
