package io.cqrs;

/** An event or command reached an aggregate or dispatcher that has no handler for its type. */
public class MissingHandlerException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final Class<?> targetType;
  private final Class<?> messageType;

  public MissingHandlerException(String message, Class<?> targetType, Class<?> messageType) {
    super(message);
    this.targetType = targetType;
    this.messageType = messageType;
  }

  /** The aggregate or dispatcher class that lacks the handler. */
  public Class<?> targetType() {
    return targetType;
  }

  /** The event or command class that found no handler. */
  public Class<?> messageType() {
    return messageType;
  }
}
