package io.cqrs.example.bank.domain;

/** Where a {@link MoneyTransfer} is in its process. */
public enum TransferState {
  /** Asked for; the source has not been debited yet. */
  CREATED,
  /** The source paid; the destination has not been credited yet. */
  DEBITED,
  /** The destination refused the credit; the source is being refunded. */
  COMPENSATING,
  /** The destination was credited. Final. */
  COMPLETED,
  /** Nothing moved, or the source was refunded. Final. */
  FAILED;

  /** Whether the transfer can change no more. */
  public boolean isFinal() {
    return this == COMPLETED || this == FAILED;
  }
}
