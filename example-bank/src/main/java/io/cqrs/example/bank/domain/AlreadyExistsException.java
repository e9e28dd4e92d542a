package io.cqrs.example.bank.domain;

/** An account or transfer was to be created under an id that is taken. */
public final class AlreadyExistsException extends BankException {
  private static final long serialVersionUID = 1L;

  /**
   * @param kind what was to be created, such as {@code "Account"}
   * @param id the id that is taken
   */
  public AlreadyExistsException(String kind, String id) {
    super(kind + " '" + id + "' already exists");
  }
}
