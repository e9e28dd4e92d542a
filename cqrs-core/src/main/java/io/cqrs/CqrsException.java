package io.cqrs;

/**
 * Root of every exception the framework throws.
 *
 * <p>Exceptions are unchecked and carry data. They are split into {@link TransientCqrsException} (a
 * retry may succeed) and {@link NonTransientCqrsException} (a retry gives the same result). Driver
 * exceptions are mapped to these at the adapter boundary with the cause kept.
 */
public abstract class CqrsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected CqrsException(String message) {
    super(message);
  }

  protected CqrsException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether retrying the same operation may succeed. */
  public abstract boolean isTransient();
}
