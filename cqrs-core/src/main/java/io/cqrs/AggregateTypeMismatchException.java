package io.cqrs;

/**
 * A stream belongs to another kind of aggregate: it was created by an aggregate of type {@link
 * #recordedType()}, and was asked to load into, or to take a commit of, an aggregate of type {@link
 * #requestedType()}. Type names are {@link TypeRegistry#logicalName logical names}.
 *
 * <p>Thrown by {@link EventSourcingRepository#get}/{@link EventSourcingRepository#find} before any
 * event is replayed, and by a store's {@code save} before anything is written (see {@link
 * io.cqrs.spi.EventStreamRepository#save(io.cqrs.spi.StreamAppend)}). Not transient: a stream's
 * type never changes. A caller that looks an id up without knowing its kind (an HTTP endpoint
 * handed an id of another kind) may take it as "no such aggregate of this kind".
 */
public class AggregateTypeMismatchException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String streamId;
  private final String recordedType;
  private final String requestedType;

  public AggregateTypeMismatchException(
      String streamId, String recordedType, String requestedType) {
    super("Stream '" + streamId + "' belongs to a " + recordedType + ", not to a " + requestedType);
    this.streamId = streamId;
    this.recordedType = recordedType;
    this.requestedType = requestedType;
  }

  /** The stream's id. */
  public String streamId() {
    return streamId;
  }

  /** The aggregate type the stream was created by. */
  public String recordedType() {
    return recordedType;
  }

  /** The aggregate type it was asked to load into or to take a commit of. */
  public String requestedType() {
    return requestedType;
  }
}
