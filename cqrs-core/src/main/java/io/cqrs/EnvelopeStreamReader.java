package io.cqrs;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.cqrs.internal.Instants;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads a well-formed event or command envelope in one pass over its bytes, the payload straight
 * into its class, without the JSON tree that {@link EventSerializer#fromTree} and {@link
 * EventSerializer#commandFromTree} work on.
 *
 * <p>It is only a fast path: on anything it does not expect (a missing, null or wrongly typed
 * field, a duplicated field, the payload before {@code eventType}, trailing tokens, a payload that
 * does not bind, an unknown type, malformed JSON) it answers {@code null}, and the caller reads the
 * envelope through the tree, which accepts and rejects exactly what it always did, with its
 * messages. The type name is looked up before any payload is bound (a payload ahead of it sends the
 * envelope to the tree), so no class is loaded for an unknown one.
 *
 * <p>Thread-safe.
 */
final class EnvelopeStreamReader {
  private static final int ID = 1;
  private static final int CORRELATION_ID = 1 << 1;
  private static final int CAUSATION_ID = 1 << 2;
  private static final int SOURCE_ID = 1 << 3;
  private static final int ACTOR = 1 << 4;
  private static final int ON_BEHALF_OF = 1 << 5;
  private static final int VERSION = 1 << 6;
  private static final int EVENT_TYPE = 1 << 7;
  private static final int CREATED = 1 << 8;
  private static final int EVENT = 1 << 9;
  private static final int METADATA = 1 << 10;
  private static final int REVISION = 1 << 11;
  private static final int REQUIRED = ID | CORRELATION_ID | SOURCE_ID | VERSION | EVENT_TYPE;

  // A command envelope's fields; correlationId, causationId, created, metadata and revision share
  // the event's bits.
  private static final int MESSAGE_ID = 1 << 12;
  private static final int COMMAND_TYPE = 1 << 13;
  private static final int BODY = 1 << 14;
  private static final int REQUIRED_OF_COMMAND =
      MESSAGE_ID | CORRELATION_ID | COMMAND_TYPE | CREATED | BODY;

  private final ObjectMapper mapper;
  private final TypeRegistry registry;
  private final ObjectReader payloads;
  private final Map<Class<?>, ObjectReader> readers = new ConcurrentHashMap<>();

  EnvelopeStreamReader(ObjectMapper mapper, TypeRegistry registry) {
    this.mapper = mapper;
    this.registry = registry;
    // The payload is one value inside the envelope: what follows it is the envelope's business.
    this.payloads = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** The command envelope, or {@code null} if the tree must decide. */
  Command readCommand(byte[] json) {
    try (JsonParser parser = mapper.createParser(json)) {
      return parser.nextToken() == JsonToken.START_OBJECT ? command(parser) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The envelope, or {@code null} if the tree must decide. */
  VersionedEvent read(byte[] json) {
    try (JsonParser parser = mapper.createParser(json)) {
      return parser.nextToken() == JsonToken.START_OBJECT ? envelope(parser) : null;
    } catch (IOException | RuntimeException e) {
      // Including UnknownTypeException: the tree reports whichever fault it finds first.
      return null;
    }
  }

  // A hot path of every delivery: one switch over the envelope's fields, longer than usual.
  private VersionedEvent envelope(JsonParser parser) throws IOException {
    String id = null;
    String correlationId = null;
    String causationId = null;
    String sourceId = null;
    String actor = null;
    String onBehalfOf = null;
    long version = 0;
    String eventType = null;
    Class<?> type = null;
    Instant created = null;
    Object event = null;
    Map<String, String> metadata = Map.of();
    int revision = 1;
    int seen = 0;
    for (JsonToken token = parser.nextToken();
        token != JsonToken.END_OBJECT;
        token = parser.nextToken()) {
      String field = parser.currentName();
      JsonToken value = parser.nextToken();
      int bit = bit(field);
      if ((seen & bit) != 0) {
        return null;
      }
      seen |= bit;
      switch (bit) {
        case ID -> id = text(parser, value);
        case CORRELATION_ID -> correlationId = text(parser, value);
        case CAUSATION_ID -> causationId = optionalText(parser, value);
        case SOURCE_ID -> sourceId = text(parser, value);
        case ACTOR -> actor = optionalText(parser, value);
        case ON_BEHALF_OF -> onBehalfOf = optionalText(parser, value);
        case VERSION -> {
          if (value != JsonToken.VALUE_NUMBER_INT
              || parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            return null;
          }
          version = parser.getLongValue();
        }
        case EVENT_TYPE -> {
          eventType = text(parser, value);
          type = eventType == null ? null : registry.typeOf(eventType);
        }
        case CREATED -> created = instant(parser, value);
        case REVISION -> revision = revision(parser, value);
        case EVENT -> {
          if (!current(type, eventType, revision, value)) {
            return null;
          }
          event = reader(type).readValue(parser);
        }
        case METADATA -> {
          metadata = metadata(parser, value);
          if (metadata == null) {
            return null;
          }
        }
        default -> parser.skipChildren(); // unknown fields are ignored, as in the tree
      }
    }
    if ((seen & REQUIRED) != REQUIRED
        || created == null
        || event == null
        || id == null
        || correlationId == null
        || sourceId == null
        || eventType == null
        || version < 0
        || revision != TypeRegistry.revisionOf(type)
        || parser.nextToken() != null) {
      return null;
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
        metadata);
  }

  // The hot path of every command delivery, as envelope() is of every event delivery.
  private Command command(JsonParser parser) throws IOException {
    String messageId = null;
    String correlationId = null;
    String causationId = null;
    String commandType = null;
    Class<?> type = null;
    Instant created = null;
    Object body = null;
    Map<String, String> metadata = Map.of();
    int revision = 1;
    int seen = 0;
    for (JsonToken token = parser.nextToken();
        token != JsonToken.END_OBJECT;
        token = parser.nextToken()) {
      String field = parser.currentName();
      JsonToken value = parser.nextToken();
      int bit = commandBit(field);
      if ((seen & bit) != 0) {
        return null;
      }
      seen |= bit;
      switch (bit) {
        case MESSAGE_ID -> messageId = text(parser, value);
        case CORRELATION_ID -> correlationId = text(parser, value);
        case CAUSATION_ID -> causationId = optionalText(parser, value);
        case COMMAND_TYPE -> {
          commandType = text(parser, value);
          type = commandType == null ? null : registry.typeOf(commandType);
        }
        case CREATED -> created = instant(parser, value);
        case REVISION -> revision = revision(parser, value);
        case BODY -> {
          if (!current(type, commandType, revision, value)) {
            return null;
          }
          body = reader(type).readValue(parser);
        }
        case METADATA -> {
          metadata = metadata(parser, value);
          if (metadata == null) {
            return null;
          }
        }
        default -> parser.skipChildren(); // unknown fields are ignored, as in the tree
      }
    }
    if ((seen & REQUIRED_OF_COMMAND) != REQUIRED_OF_COMMAND
        || messageId == null
        || correlationId == null
        || commandType == null
        || created == null
        || body == null
        || revision != TypeRegistry.revisionOf(type)
        || parser.nextToken() != null) {
      return null;
    }
    return new Command(messageId, correlationId, causationId, commandType, created, body, metadata);
  }

  private static int commandBit(String field) {
    return switch (field) {
      case "messageId" -> MESSAGE_ID;
      case "correlationId" -> CORRELATION_ID;
      case "causationId" -> CAUSATION_ID;
      case "commandType" -> COMMAND_TYPE;
      case "created" -> CREATED;
      case "body" -> BODY;
      case "metadata" -> METADATA;
      case "revision" -> REVISION;
      default -> 0;
    };
  }

  private static int bit(String field) {
    return switch (field) {
      case "id" -> ID;
      case "correlationId" -> CORRELATION_ID;
      case "causationId" -> CAUSATION_ID;
      case "sourceId" -> SOURCE_ID;
      case "actor" -> ACTOR;
      case "onBehalfOf" -> ON_BEHALF_OF;
      case "version" -> VERSION;
      case "eventType" -> EVENT_TYPE;
      case "created" -> CREATED;
      case "event" -> EVENT;
      case "metadata" -> METADATA;
      case "revision" -> REVISION;
      default -> 0;
    };
  }

  /**
   * Whether a payload of {@code type}, named {@code name} at {@code revision}, binds as it is: not
   * an old revision or an old name, which the tree upcasts and renames, and not null.
   */
  private static boolean current(Class<?> type, String name, int revision, JsonToken value) {
    return type != null
        && value != JsonToken.VALUE_NULL
        && revision == TypeRegistry.revisionOf(type)
        && name.equals(TypeRegistry.logicalName(type));
  }

  /** An envelope's {@code created}, or {@code null} (so the tree decides) if it is no string. */
  private static Instant instant(JsonParser parser, JsonToken value) throws IOException {
    String text = text(parser, value);
    return text == null ? null : Instants.parse(text);
  }

  /**
   * An envelope's {@code revision}; 0, which no type has (so the tree decides), if it is not an
   * {@code int}.
   */
  private static int revision(JsonParser parser, JsonToken value) throws IOException {
    return value == JsonToken.VALUE_NUMBER_INT
            && parser.getNumberType() == JsonParser.NumberType.INT
        ? parser.getIntValue()
        : 0;
  }

  private ObjectReader reader(Class<?> type) {
    return readers.computeIfAbsent(type, payloads::forType);
  }

  /** A required string: {@code null} (so the tree decides) for anything else. */
  private static String text(JsonParser parser, JsonToken value) throws IOException {
    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
  }

  private static String optionalText(JsonParser parser, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return null;
    }
    if (value != JsonToken.VALUE_STRING) {
      throw new IllegalStateException("not a string"); // caught in read(): the tree names it
    }
    return parser.getText();
  }

  private static Map<String, String> metadata(JsonParser parser, JsonToken value)
      throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    if (value != JsonToken.START_OBJECT) {
      return null;
    }
    Map<String, String> metadata = new HashMap<>();
    for (JsonToken token = parser.nextToken();
        token != JsonToken.END_OBJECT;
        token = parser.nextToken()) {
      String key = parser.currentName();
      if (parser.nextToken() != JsonToken.VALUE_STRING || metadata.containsKey(key)) {
        return null;
      }
      metadata.put(key, parser.getText());
    }
    return metadata;
  }
}
