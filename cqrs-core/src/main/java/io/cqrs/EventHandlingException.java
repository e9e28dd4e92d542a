package io.cqrs;

/**
 * An aggregate's {@code handle<Event>} method threw. The event was not recorded as pending, so the
 * aggregate holds only the events that applied cleanly.
 */
public class EventHandlingException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String aggregateId;
  private final String eventType;

  public EventHandlingException(String aggregateId, String eventType, Throwable cause) {
    super("Aggregate '" + aggregateId + "' failed to handle " + eventType + ": " + cause, cause);
    this.aggregateId = aggregateId;
    this.eventType = eventType;
  }

  public String aggregateId() {
    return aggregateId;
  }

  public String eventType() {
    return eventType;
  }
}
