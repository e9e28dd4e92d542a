package io.cqrs;

/**
 * A bus refuses to carry a message at all, whatever the broker's state: larger than the bus allows,
 * an id or header longer than its protocol takes. Publishing it again cannot succeed, so the {@link
 * EventRelay} dead-letters an event refused so rather than retry it for ever; every other failure
 * to publish is retried. An {@link IllegalArgumentException}, as the refusal of a bad argument.
 */
public class UnpublishableMessageException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UnpublishableMessageException(String message) {
    super(message);
  }

  public UnpublishableMessageException(String message, Throwable cause) {
    super(message, cause);
  }
}
