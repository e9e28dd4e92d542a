package io.cqrs;

/** A message was published that no subscriber can receive: nobody handles its type. */
public class UnroutableMessageException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String messageType;

  public UnroutableMessageException(String messageType, String detail) {
    super("No subscriber for " + messageType + ": " + detail);
    this.messageType = messageType;
  }

  public String messageType() {
    return messageType;
  }
}
