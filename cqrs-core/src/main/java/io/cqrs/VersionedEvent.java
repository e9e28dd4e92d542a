package io.cqrs;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The envelope of one committed (or about to be committed) domain event: andrewwebber's {@code
 * VersionedEvent} plus a causation id and free-form metadata.
 *
 * <p>An envelope never misnames its payload: construction fails with an {@link
 * IllegalArgumentException} naming the id and both names unless {@code eventType} is the logical
 * name of the event's class. JSON carries the payload's type only as {@code eventType}, so a
 * misnamed envelope, once written, would read back as another event or not at all; this check keeps
 * one from reaching any store, bus or serializer.
 *
 * @param id unique id of this event
 * @param correlationId id shared by every event and command of one business interaction
 * @param causationId id of the command or event that caused this one, or {@code null}
 * @param sourceId id of the aggregate (stream) the event belongs to
 * @param actor who caused the event, or {@code null}
 * @param onBehalfOf on whose behalf the actor acted, or {@code null}
 * @param version the event's position in its stream: 1, 2, 3 … (0 for events outside a stream, such
 *     as {@link CommandFailed})
 * @param eventType the event's logical type name: {@link TypeRegistry#logicalName} of {@code
 *     event}'s class, checked on construction
 * @param created when the event was raised
 * @param event the domain event itself, usually a record
 * @param metadata free-form string metadata; never {@code null}
 */
public record VersionedEvent(
    String id,
    String correlationId,
    String causationId,
    String sourceId,
    String actor,
    String onBehalfOf,
    long version,
    String eventType,
    Instant created,
    Object event,
    Map<String, String> metadata) {

  public VersionedEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(correlationId, "correlationId");
    Objects.requireNonNull(sourceId, "sourceId");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(event, "event");
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0, was " + version);
    }
    TypeRegistry.requireNames("VersionedEvent", id, "eventType", eventType, event, "event");
    metadata = metadata == null || metadata.isEmpty() ? Map.of() : Map.copyOf(metadata);
  }

  /** The same envelope with another version; used by stores that assign versions. */
  public VersionedEvent withVersion(long newVersion) {
    return new VersionedEvent(
        id,
        correlationId,
        causationId,
        sourceId,
        actor,
        onBehalfOf,
        newVersion,
        eventType,
        created,
        event,
        metadata);
  }

  /** The domain event cast to the type the caller expects. */
  public <E> E eventAs(Class<E> type) {
    return type.cast(event);
  }
}
