package io.cqrs.spi;

import io.cqrs.VersionedEvent;
import java.util.List;
import java.util.Objects;

/**
 * Events of a stream as {@link EventStreamRepository#loadStream} returns them, with the type of
 * aggregate the stream belongs to.
 *
 * @param streamId the stream's id
 * @param aggregateType the {@linkplain io.cqrs.TypeRegistry#logicalName logical name} of the
 *     aggregate type recorded when the stream was created; {@code null} if none was recorded (a
 *     stream written before types were recorded, or created by a save that named none) or the
 *     stream does not exist
 * @param events the events asked for, in version order; may be empty
 */
public record EventStream(String streamId, String aggregateType, List<VersionedEvent> events) {

  public EventStream {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(events, "events");
  }
}
