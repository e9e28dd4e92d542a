package io.cqrs;

/**
 * A failure that a retry of the same operation cannot cure: a missing handler, an unknown type, a
 * malformed message.
 */
public class NonTransientCqrsException extends CqrsException {
  private static final long serialVersionUID = 1L;

  public NonTransientCqrsException(String message) {
    super(message);
  }

  public NonTransientCqrsException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public final boolean isTransient() {
    return false;
  }
}
