package io.cqrs.example.bank.domain;

import java.math.BigDecimal;

/**
 * The commands a {@link MoneyTransfer} handles (see {@link TransferCommandHandlers}): the first
 * comes from a user, the others from the {@link TransferProcess} as the accounts answer.
 */
public sealed interface TransferCommand {

  /** The id of the transfer the command is for. */
  String transferId();

  /** Asks for a transfer between two existing, distinct accounts. */
  record CreateMoneyTransfer(
      String transferId, String fromAccountId, String toAccountId, BigDecimal amount)
      implements TransferCommand {}

  /** Records that the source paid. */
  record RecordTransferDebit(String transferId) implements TransferCommand {}

  /** Records that the source refused to pay; the transfer fails with nothing moved. */
  record FailTransferDebit(String transferId, String reason) implements TransferCommand {}

  /** Records that the destination received the money; the transfer is complete. */
  record CompleteTransfer(String transferId) implements TransferCommand {}

  /** Records that the destination refused the money; the source must be refunded. */
  record RefuseTransferCredit(String transferId, String reason) implements TransferCommand {}

  /** Records that the source got its money back; the transfer has failed. */
  record RecordTransferRefund(String transferId) implements TransferCommand {}
}
