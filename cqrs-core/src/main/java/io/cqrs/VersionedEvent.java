package io.cqrs;

import io.cqrs.internal.Ids;
import java.time.Instant;
import java.util.List;
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

  /**
   * Checks the envelope and copies the metadata.
   *
   * @throws NullPointerException if a required field is null
   * @throws IllegalArgumentException if {@code eventType} does not name {@code event}'s class, the
   *     version is negative, or the metadata exceeds {@link MetadataKey}'s bounds
   */
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
    if (metadata == null || metadata.isEmpty()) {
      metadata = Map.of();
    } else {
      MetadataKey.requireBounded(metadata, "Event", id);
      metadata = MetadataMap.copyOf(metadata);
    }
  }

  /**
   * Whether this envelope is a stored event that its upcasters split or dropped: its payload is a
   * {@link SplitEvent} and {@link #parts()} are the events it holds.
   */
  public boolean isSplit() {
    return event instanceof SplitEvent;
  }

  /**
   * The events this envelope holds, in order: itself, or, for a stored event that its upcasters
   * split or dropped ({@link SplitEvent}), its parts at its version (none if dropped), each with an
   * id of its own ({@code id#1}, {@code id#2}, ...).
   */
  public List<VersionedEvent> parts() {
    return event instanceof SplitEvent split ? split.envelopes(this) : List.of(this);
  }

  /**
   * A new envelope for {@code event} at {@code version} of stream {@code sourceId}, under a
   * correlation id: a fresh id, created now, its type name worked out from the event's class, no
   * causation, actor or metadata. {@link #builder} sets the rest.
   */
  public static VersionedEvent of(
      String sourceId, long version, Object event, String correlationId) {
    return builder(sourceId, version, event).correlationId(correlationId).build();
  }

  /**
   * A builder of an envelope for {@code event} at {@code version} of stream {@code sourceId}; its
   * type name is worked out from the event's class. Without further settings: a fresh id, a fresh
   * correlation id, created now.
   */
  public static Builder builder(String sourceId, long version, Object event) {
    return new Builder(sourceId, version, event);
  }

  /** Builds a {@link VersionedEvent}; see {@link VersionedEvent#builder}. */
  public static final class Builder {
    private final String sourceId;
    private final long version;
    private final Object event;
    private String id;
    private String correlationId;
    private String causationId;
    private String actor;
    private String onBehalfOf;
    private Instant created;
    private Map<String, String> metadata = Map.of();

    private Builder(String sourceId, long version, Object event) {
      this.sourceId = Objects.requireNonNull(sourceId, "sourceId");
      this.version = version;
      this.event = Objects.requireNonNull(event, "event");
    }

    /** The event's id (default: a fresh one). */
    public Builder id(String id) {
      this.id = Objects.requireNonNull(id, "id");
      return this;
    }

    /** The correlation id (default: a fresh one). */
    public Builder correlationId(String correlationId) {
      this.correlationId = Objects.requireNonNull(correlationId, "correlationId");
      return this;
    }

    /** The id of the message that caused the event, or {@code null} (the default). */
    public Builder causationId(String causationId) {
      this.causationId = causationId;
      return this;
    }

    /**
     * Correlation id, causation id (the command's message id), actor, on-behalf-of and the rest of
     * the metadata (a trace context among them) taken from the command that caused the event.
     */
    public Builder causedBy(Command command) {
      Objects.requireNonNull(command, "command");
      this.correlationId = command.correlationId();
      this.causationId = command.messageId();
      this.actor = command.metadata().get(MetadataKey.ACTOR.name());
      this.onBehalfOf = command.metadata().get(MetadataKey.ON_BEHALF_OF.name());
      this.metadata = propagated(command.metadata());
      return this;
    }

    /** Who caused the event, or {@code null} (the default). */
    public Builder actor(String actor) {
      this.actor = actor;
      return this;
    }

    /** On whose behalf the actor acted, or {@code null} (the default). */
    public Builder onBehalfOf(String onBehalfOf) {
      this.onBehalfOf = onBehalfOf;
      return this;
    }

    /** When the event was raised (default: when {@link #build} runs). */
    public Builder created(Instant created) {
      this.created = Objects.requireNonNull(created, "created");
      return this;
    }

    /** Free-form string metadata (default: none). */
    public Builder metadata(Map<String, String> metadata) {
      this.metadata = Objects.requireNonNull(metadata, "metadata");
      return this;
    }

    public VersionedEvent build() {
      return new VersionedEvent(
          id != null ? id : Ids.newId(),
          correlationId != null ? correlationId : Ids.newId(),
          causationId,
          sourceId,
          actor,
          onBehalfOf,
          version,
          TypeRegistry.logicalName(event.getClass()),
          created != null ? created : Instant.now(),
          event,
          metadata);
    }
  }

  /**
   * The metadata a command hands on to the events it causes: all of it but the actor and
   * on-behalf-of, which the events carry as fields.
   */
  static Map<String, String> propagated(Map<String, String> commandMetadata) {
    if (!commandMetadata.containsKey(MetadataKey.ACTOR.name())
        && !commandMetadata.containsKey(MetadataKey.ON_BEHALF_OF.name())) {
      return commandMetadata;
    }
    Map<String, String> copy = new java.util.HashMap<>(commandMetadata);
    copy.remove(MetadataKey.ACTOR.name());
    copy.remove(MetadataKey.ON_BEHALF_OF.name());
    return Map.copyOf(copy); // once per save, not once per event
  }

  /** The same envelope with one more metadata entry (replacing one of the same key). */
  public VersionedEvent withMetadata(String key, String value) {
    MetadataKey.requireName(key);
    Objects.requireNonNull(value, "value");
    return withMetadata(Map.of(key, value));
  }

  /** The same envelope with one more typed metadata entry (replacing one of the same key). */
  public <T> VersionedEvent withMetadata(MetadataKey<T> key, T value) {
    Objects.requireNonNull(key, "key");
    return withMetadata(key.name(), key.write(value));
  }

  /** The same envelope with these metadata entries added (replacing those of the same keys). */
  public VersionedEvent withMetadata(Map<String, String> more) {
    Objects.requireNonNull(more, "more");
    if (more.isEmpty()) {
      return this;
    }
    return new VersionedEvent(
        id,
        correlationId,
        causationId,
        sourceId,
        actor,
        onBehalfOf,
        version,
        eventType,
        created,
        event,
        MetadataKey.merged(metadata, more));
  }

  /**
   * A typed metadata value, or empty if absent.
   *
   * @throws IllegalArgumentException naming the key if the value cannot be read
   */
  public <T> java.util.Optional<T> metadata(MetadataKey<T> key) {
    return key.get(metadata);
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
