package io.cqrs;

/**
 * A failure that a retry may cure: a conflicting writer, a broker or store that is briefly
 * unavailable, a timeout.
 */
public class TransientCqrsException extends CqrsException {
  private static final long serialVersionUID = 1L;

  public TransientCqrsException(String message) {
    super(message);
  }

  public TransientCqrsException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public final boolean isTransient() {
    return true;
  }
}
