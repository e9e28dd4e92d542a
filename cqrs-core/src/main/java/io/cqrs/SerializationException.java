package io.cqrs;

/** A message or snapshot could not be written or read: malformed JSON, a missing field. */
public class SerializationException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  public SerializationException(String message, Throwable cause) {
    super(message, cause);
  }

  public SerializationException(String message) {
    super(message);
  }
}
