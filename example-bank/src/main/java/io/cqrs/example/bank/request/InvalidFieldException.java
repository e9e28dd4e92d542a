package io.cqrs.example.bank.request;

/**
 * A request field that {@link FieldRules} refused: the message says why, for the client, and {@link
 * #field()} names the field as the client wrote it. Each front end answers it with its own 400
 * problem.
 */
public final class InvalidFieldException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;

  InvalidFieldException(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  /** The field at fault. */
  public String field() {
    return field;
  }
}
