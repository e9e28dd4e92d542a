package io.cqrs;

import io.cqrs.internal.Ids;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The envelope of a command: andrewwebber's {@code Command} plus a causation id and metadata.
 *
 * <p>A command never misnames its body: construction fails with an {@link IllegalArgumentException}
 * naming the message id and both names unless {@code commandType} is the logical name of the body's
 * class, so no bus carries a command that would be read back as another one.
 *
 * @param messageId unique id of this command message
 * @param correlationId id shared by the command and every event it causes; a command that starts a
 *     correlation ({@link #create(Object)}, or a builder given no correlation id) has its own
 *     message id as its correlation id
 * @param causationId id of the message that caused this command, or {@code null}
 * @param commandType the body's logical type name: {@link TypeRegistry#logicalName} of {@code
 *     body}'s class, checked on construction
 * @param created when the command was created
 * @param body the command itself, usually a record
 * @param metadata free-form string metadata; never {@code null}
 */
public record Command(
    String messageId,
    String correlationId,
    String causationId,
    String commandType,
    Instant created,
    Object body,
    Map<String, String> metadata) {

  /**
   * Checks the envelope and copies the metadata.
   *
   * @throws NullPointerException if a required field is null
   * @throws IllegalArgumentException if {@code commandType} does not name {@code body}'s class, or
   *     the metadata exceeds {@link MetadataKey}'s bounds
   */
  public Command {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(correlationId, "correlationId");
    Objects.requireNonNull(commandType, "commandType");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(body, "body");
    TypeRegistry.requireNames("Command", messageId, "commandType", commandType, body, "body");
    if (metadata == null || metadata.isEmpty()) {
      metadata = Map.of();
    } else {
      MetadataKey.requireBounded(metadata, "Command", messageId);
      metadata = MetadataMap.copyOf(metadata);
    }
  }

  /**
   * Wraps a command body in a new envelope that starts a correlation: its fresh message id is its
   * correlation id too.
   */
  public static Command create(Object body) {
    String id = Ids.newId();
    return create(id, body, id);
  }

  /** Wraps a command body in a new envelope that joins an existing correlation id. */
  public static Command create(Object body, String correlationId) {
    // What builder(body).correlationId(correlationId).build() makes, without the builder, which
    // the JIT did not always optimize away on the command path (issue 14).
    return create(Ids.newId(), body, correlationId);
  }

  private static Command create(String messageId, Object body, String correlationId) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(correlationId, "correlationId");
    return new Command(
        messageId,
        correlationId,
        null,
        TypeRegistry.logicalName(body.getClass()),
        Instant.now(),
        body,
        Map.of());
  }

  /**
   * A builder of an envelope for {@code body}, its type name worked out from the body's class.
   * Without further settings: a fresh message id, which is also its correlation id, created now.
   */
  public static Builder builder(Object body) {
    return new Builder(body);
  }

  /** Builds a {@link Command}; see {@link Command#builder}. */
  public static final class Builder {
    private final Object body;
    private String messageId;
    private String correlationId;
    private String causationId;
    private Instant created;
    private Map<String, String> metadata = Map.of();

    private Builder(Object body) {
      this.body = Objects.requireNonNull(body, "body");
    }

    /**
     * The message id (default: a fresh one). Give a command that may be sent more than once the
     * same id every time, so that it takes effect once.
     */
    public Builder messageId(String messageId) {
      this.messageId = Objects.requireNonNull(messageId, "messageId");
      return this;
    }

    /** The correlation id (default: the message id: the command starts a correlation). */
    public Builder correlationId(String correlationId) {
      this.correlationId = Objects.requireNonNull(correlationId, "correlationId");
      return this;
    }

    /** The id of the message that caused this command, or {@code null} (the default). */
    public Builder causationId(String causationId) {
      this.causationId = causationId;
      return this;
    }

    /** When the command was created (default: when {@link #build} runs). */
    public Builder created(Instant created) {
      this.created = Objects.requireNonNull(created, "created");
      return this;
    }

    /** Free-form string metadata such as {@code actor} (default: none). */
    public Builder metadata(Map<String, String> metadata) {
      this.metadata = Objects.requireNonNull(metadata, "metadata");
      return this;
    }

    public Command build() {
      String id = messageId != null ? messageId : Ids.newId();
      return new Command(
          id,
          correlationId != null ? correlationId : id,
          causationId,
          TypeRegistry.logicalName(body.getClass()),
          created != null ? created : Instant.now(),
          body,
          metadata);
    }
  }

  /**
   * The command a process manager sends in reaction to an event, with a message id derived from the
   * event: {@code <event id>/<command type>}. A redelivered event thus re-issues the same command,
   * which takes effect once (see {@link CommandDispatchManager}). It joins the event's correlation
   * id, names the event as its cause, and carries its actor, on-behalf-of and metadata (a trace
   * context among them). Where one event leads to two commands of the same type, give them distinct
   * ids with {@link #reactingTo(VersionedEvent, Object, String)}.
   */
  public static Command reactingTo(VersionedEvent cause, Object body) {
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(body, "body");
    return reactingTo(cause, body, cause.id() + "/" + TypeRegistry.logicalName(body.getClass()));
  }

  /**
   * Like {@link #reactingTo(VersionedEvent, Object)}, with a message id of the caller's: it must be
   * the same every time the same step is taken (derive it from the event or the process's own id,
   * never from a clock or a random source).
   */
  public static Command reactingTo(VersionedEvent cause, Object body, String messageId) {
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(messageId, "messageId");
    Map<String, String> metadata = new java.util.HashMap<>(cause.metadata());
    // Actor and on-behalf-of come from the event's fields only, never from its metadata.
    metadata.remove(MetadataKey.ACTOR.name());
    metadata.remove(MetadataKey.ON_BEHALF_OF.name());
    if (cause.actor() != null) {
      metadata.put(MetadataKey.ACTOR.name(), cause.actor());
    }
    if (cause.onBehalfOf() != null) {
      metadata.put(MetadataKey.ON_BEHALF_OF.name(), cause.onBehalfOf());
    }
    return builder(body)
        .messageId(messageId)
        .correlationId(cause.correlationId())
        .causationId(cause.id())
        .metadata(metadata)
        .build();
  }

  /** The same command caused by another message (kept for tracing). */
  public Command causedBy(String causingMessageId) {
    return new Command(
        messageId, correlationId, causingMessageId, commandType, created, body, metadata);
  }

  /** The same command with one more metadata entry (replacing one of the same key). */
  public Command withMetadata(String key, String value) {
    MetadataKey.requireName(key);
    Objects.requireNonNull(value, "value");
    return withMetadata(Map.of(key, value));
  }

  /** The same command with one more typed metadata entry (replacing one of the same key). */
  public <T> Command withMetadata(MetadataKey<T> key, T value) {
    Objects.requireNonNull(key, "key");
    return withMetadata(key.name(), key.write(value));
  }

  /** The same command with these metadata entries added (replacing those of the same keys). */
  public Command withMetadata(Map<String, String> more) {
    Objects.requireNonNull(more, "more");
    if (more.isEmpty()) {
      return this;
    }
    return new Command(
        messageId,
        correlationId,
        causationId,
        commandType,
        created,
        body,
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

  /** The body cast to the type the caller expects. */
  public <C> C bodyAs(Class<C> type) {
    return type.cast(body);
  }
}
