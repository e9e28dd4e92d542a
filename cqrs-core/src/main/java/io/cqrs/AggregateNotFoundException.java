package io.cqrs;

/** No event has ever been saved for the aggregate id asked for. */
public class AggregateNotFoundException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String aggregateId;

  /** An exception for the aggregate id asked for, which the message names. */
  public AggregateNotFoundException(String aggregateId) {
    super("Aggregate '" + aggregateId + "' not found: its stream has no events");
    this.aggregateId = aggregateId;
  }

  /** The aggregate id that has no stream. */
  public String aggregateId() {
    return aggregateId;
  }
}
