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
 * @param correlationId id shared by the command and every event it causes
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

  public Command {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(correlationId, "correlationId");
    Objects.requireNonNull(commandType, "commandType");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(body, "body");
    TypeRegistry.requireNames("Command", messageId, "commandType", commandType, body, "body");
    metadata = metadata == null || metadata.isEmpty() ? Map.of() : Map.copyOf(metadata);
  }

  /** Wraps a command body in a new envelope with a fresh correlation id. */
  public static Command create(Object body) {
    return create(body, Ids.newId());
  }

  /** Wraps a command body in a new envelope that joins an existing correlation id. */
  public static Command create(Object body, String correlationId) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(correlationId, "correlationId");
    return new Command(
        Ids.newId(),
        correlationId,
        null,
        TypeRegistry.logicalName(body.getClass()),
        Instant.now(),
        body,
        Map.of());
  }

  /** The same command caused by another message (kept for tracing). */
  public Command causedBy(String causingMessageId) {
    return new Command(
        messageId, correlationId, causingMessageId, commandType, created, body, metadata);
  }

  /** The same command with one more metadata entry. */
  public Command withMetadata(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    var copy = new java.util.HashMap<>(metadata);
    copy.put(key, value);
    return new Command(messageId, correlationId, causationId, commandType, created, body, copy);
  }

  /** The body cast to the type the caller expects. */
  public <C> C bodyAs(Class<C> type) {
    return type.cast(body);
  }
}
