package io.cqrs.example.bank.spring;

/**
 * A request refused before anything is done for it: {@link BankProblems} answers it with {@code 400
 * application/problem+json} whose detail is this message and whose {@code field} names the field.
 */
final class InvalidRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;

  InvalidRequestException(String field, String detail) {
    super(detail, null, false, false);
    this.field = field;
  }

  /** The field at fault, as the client named it. */
  String field() {
    return field;
  }
}
