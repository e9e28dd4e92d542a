package io.cqrs.example.bank.domain;

/**
 * A command the bank refuses by its rules: an unknown account, insufficient funds, a closed
 * account. Nothing was changed.
 *
 * <p>These are ordinary domain errors, not {@link io.cqrs.CqrsException}s, on purpose: the {@link
 * io.cqrs.CommandDispatchManager} records a refused command under its correlation id and consumes
 * it, since delivering it again would be refused again. Invalid input (a negative amount, a
 * malformed email address) is an {@link IllegalArgumentException} instead.
 */
public abstract class BankException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A refusal explained by {@code message}. */
  protected BankException(String message) {
    super(message);
  }
}
