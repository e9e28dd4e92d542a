package io.cqrs.spi;

import io.cqrs.AggregateTypeMismatchException;
import io.cqrs.VersionedEvent;
import java.util.List;

/**
 * What {@link EventStreamRepository#save(StreamAppend)} is asked to append: events for a stream at
 * an expected version, and optionally the command they are the effect of and the type of aggregate
 * that owns the stream. Made with {@link #of} and the {@code with…} methods, so that a setting
 * added later is one more method rather than one more overload of {@code save}.
 *
 * <p>The constructor checks what every store would: the stream id, the version, the events'
 * numbering, and that the command id and type, if given, are not blank (see {@link
 * StreamPreconditions}).
 *
 * @param streamId the stream (aggregate) id; every event's {@code sourceId} equals it
 * @param expectedVersion the version the stream must be at; 0 for a new stream
 * @param events one or more events numbered {@code expectedVersion + 1} upwards
 * @param commandId the message id of the command the events are the effect of, or {@code null} for
 *     a save that is not deduplicated
 * @param aggregateType the {@linkplain io.cqrs.TypeRegistry#logicalName logical name} of the
 *     aggregate the stream belongs to, or {@code null} if the caller does not know it: recorded
 *     when this save creates the stream, and checked against the recorded one otherwise
 */
public record StreamAppend(
    String streamId,
    long expectedVersion,
    List<VersionedEvent> events,
    String commandId,
    String aggregateType) {

  public StreamAppend {
    StreamPreconditions.checkSave(streamId, expectedVersion, events, commandId);
    events = List.copyOf(events);
    if (aggregateType != null && aggregateType.isBlank()) {
      throw new IllegalArgumentException(
          "aggregateType must be null or not blank for stream '" + streamId + "'");
    }
  }

  /** Appends {@code events} at {@code expectedVersion}, for no command and of no known type. */
  public static StreamAppend of(
      String streamId, long expectedVersion, List<VersionedEvent> events) {
    return new StreamAppend(streamId, expectedVersion, events, null, null);
  }

  /** This append as the effect of command {@code commandId} (null: of none). */
  public StreamAppend withCommandId(String commandId) {
    return new StreamAppend(streamId, expectedVersion, events, commandId, aggregateType);
  }

  /** This append for a stream of aggregate type {@code aggregateType} (null: unknown). */
  public StreamAppend withAggregateType(String aggregateType) {
    return new StreamAppend(streamId, expectedVersion, events, commandId, aggregateType);
  }

  /** The version of the last event: the stream's version once this append is committed. */
  public long lastVersion() {
    return expectedVersion + events.size();
  }

  /**
   * Fails with {@link AggregateTypeMismatchException} if the stream's recorded type and this
   * append's type are both known and differ; for stores to call before writing anything.
   */
  public void checkType(String recordedType) {
    if (recordedType != null && aggregateType != null && !recordedType.equals(aggregateType)) {
      throw new AggregateTypeMismatchException(streamId, recordedType, aggregateType);
    }
  }
}
