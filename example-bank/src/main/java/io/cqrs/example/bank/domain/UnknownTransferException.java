package io.cqrs.example.bank.domain;

/** No money transfer has the id a command named. */
public final class UnknownTransferException extends BankException {
  private static final long serialVersionUID = 1L;

  private final String transferId;

  /** No transfer has the id {@code transferId}. */
  public UnknownTransferException(String transferId) {
    super("Transfer '" + transferId + "' does not exist");
    this.transferId = transferId;
  }

  /** The id that was not found. */
  public String transferId() {
    return transferId;
  }
}
