package io.cqrs;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.cqrs.internal.Instants;
import io.cqrs.internal.Texts;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JSON for {@link VersionedEvent} and {@link Command} envelopes, on Jackson.
 *
 * <p>The envelope names its payload by logical type ({@code eventType} / {@code commandType}), and
 * the payload is read only as the class the {@link TypeRegistry} holds under that name: no class
 * names travel, no default typing, an unknown name fails with {@link UnknownTypeException} before
 * anything is instantiated. Records and {@code java.time} types work out of the box; {@code
 * BigDecimal}s keep their scale; unknown payload properties are ignored so that events can lose
 * fields over time; anything after the envelope's closing brace is rejected as malformed.
 *
 * <p>Thread-safe.
 */
public final class EventSerializer {
  /** The type name of a {@link SplitEvent}, which is read here, not through the registry. */
  private static final String SPLIT_EVENT = TypeRegistry.SPLIT_EVENT;

  private final TypeRegistry registry;
  private final ObjectMapper mapper;
  private final EnvelopeStreamReader streamReader;
  // Payload classes whose first written payload was read back: see readBackOnce.
  private final Set<Class<?>> readBack = ConcurrentHashMap.newKeySet();

  /** A serializer with the settings of {@link ObjectMappers#create()}. */
  public EventSerializer(TypeRegistry registry) {
    this(registry, new ObjectMapper());
  }

  /**
   * A serializer on a copy of the caller's mapper (for custom modules), with the settings of {@link
   * ObjectMappers#configure(ObjectMapper)} added.
   */
  public EventSerializer(TypeRegistry registry, ObjectMapper mapper) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.mapper = ObjectMappers.configure(mapper);
    this.streamReader = new EnvelopeStreamReader(this.mapper, registry);
  }

  /** The registry this serializer resolves type names with. */
  public TypeRegistry registry() {
    return registry;
  }

  /** A copy of the configured mapper, for adapters that embed envelopes in their own JSON. */
  public ObjectMapper mapper() {
    return mapper.copy();
  }

  /**
   * The envelope as a JSON tree: the same JSON as {@link #serialize(VersionedEvent)}, for adapters
   * that embed envelopes in tree-built documents.
   */
  public ObjectNode toTree(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    try (TokenBuffer buffer = new TokenBuffer(mapper, false)) {
      write(buffer, event);
      return mapper.readTree(buffer.asParser());
    } catch (IOException e) {
      throw new SerializationException(
          "Cannot write " + event.eventType() + " of stream '" + event.sourceId() + "'", e);
    }
  }

  /**
   * Reads an envelope from a JSON tree.
   *
   * @throws UnknownTypeException if {@code eventType} is not registered
   * @throws SerializationException if the JSON is not a well-formed envelope
   */
  public VersionedEvent fromTree(JsonNode node) {
    Objects.requireNonNull(node, "node");
    if (!node.isObject()) {
      throw new SerializationException(
          "An event envelope must be a JSON object, was " + node.getNodeType());
    }
    String eventType = text(node, "eventType", true);
    String sourceId = text(node, "sourceId", true);
    String name;
    Object event;
    if (SPLIT_EVENT.equals(eventType)) {
      Read read = splitEvent(node.get("event")); // as write() wrote it: parts at current revisions
      name = read.name();
      event = read.event();
    } else {
      Class<?> type = registry.typeOf(eventType);
      int revision = revision(node);
      if (revision == TypeRegistry.revisionOf(type)) {
        name = registry.nameOf(type); // the current name of a type stored under an alias
        event = bind(field(node, "event", type), type, "event");
      } else {
        Read read = upcastEvent(node, type, revision);
        name = read.name();
        event = read.event();
      }
    }
    try {
      return new VersionedEvent(
          text(node, "id", true),
          text(node, "correlationId", true),
          text(node, "causationId", false),
          sourceId,
          text(node, "actor", false),
          text(node, "onBehalfOf", false),
          number(node, "version"),
          name,
          instant(node, "created"),
          event,
          metadata(node));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new SerializationException(
          "Malformed " + eventType + " envelope of stream '" + sourceId + "': " + e.getMessage(),
          e);
    }
  }

  /** The envelope as UTF-8 JSON. */
  public byte[] serialize(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    // Hot path of every publish: stream the envelope instead of building a tree first, which
    // halved the bus's CPU per message.
    ByteArrayBuilder bytes = new ByteArrayBuilder(512);
    try (JsonGenerator json = mapper.getFactory().createGenerator(bytes)) {
      write(json, event);
    } catch (IOException e) {
      throw new SerializationException(
          "Cannot write " + event.eventType() + " of stream '" + event.sourceId() + "'", e);
    }
    return bytes.toByteArray();
  }

  /**
   * Writes the envelope as one JSON object at the generator's position: the one writer of event
   * envelopes, which {@link #serialize(VersionedEvent)}, {@link #toTree(VersionedEvent)} and
   * adapters that stream envelopes into their own documents (such as a store's commit document) all
   * go through. The generator should come from {@link #mapper()} (or this serializer's settings),
   * so payloads are written the same way everywhere.
   *
   * @throws IOException if the generator fails
   */
  public void write(JsonGenerator json, VersionedEvent event) throws IOException {
    json.writeStartObject();
    json.writeStringField("id", event.id());
    json.writeStringField("correlationId", event.correlationId());
    json.writeStringField("causationId", event.causationId());
    json.writeStringField("sourceId", event.sourceId());
    json.writeStringField("actor", event.actor());
    json.writeStringField("onBehalfOf", event.onBehalfOf());
    json.writeNumberField("version", event.version());
    json.writeStringField("eventType", event.eventType());
    Object payload = event.event();
    Pinned pinned = payload instanceof SplitEvent ? null : pinned(payload);
    writeRevision(json, payload, pinned);
    json.writeStringField("created", Instants.format(event.created()));
    json.writeFieldName("event");
    if (payload instanceof SplitEvent split) {
      writeSplit(json, split);
    } else {
      writePayload(json, payload, pinned, false);
    }
    writeMetadata(json, event.metadata());
    json.writeEndObject();
  }

  /**
   * A split or dropped stored event as read (a relay publishing it, say): its parts, each with its
   * type name and revision, so that the reader gets the same parts without upcasting again. A
   * reader of an earlier version, which knows no splits, refuses it as an unknown type rather than
   * reading half of it.
   */
  private void writeSplit(JsonGenerator json, SplitEvent split) throws IOException {
    json.writeStartObject();
    json.writeStringField("storedType", split.storedType());
    json.writeArrayFieldStart("events");
    for (Object part : split.events()) {
      json.writeStartObject();
      json.writeStringField("eventType", TypeRegistry.logicalName(part.getClass()));
      Pinned pinned = pinned(part);
      writeRevision(json, part, pinned);
      json.writeFieldName("event");
      writePayload(json, part, pinned, false);
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  private Read splitEvent(JsonNode value) {
    if (value == null || !value.isObject() || !value.path("events").isArray()) {
      throw new SerializationException(
          "Field 'event' of " + SPLIT_EVENT + " must be an object with an array of 'events'");
    }
    List<Read> parts = new ArrayList<>(value.get("events").size());
    for (JsonNode part : value.get("events")) {
      if (!part.isObject()) {
        throw new SerializationException("The parts of " + SPLIT_EVENT + " must be objects");
      }
      Class<?> type = registry.typeOf(text(part, "eventType", true));
      int revision = revision(part);
      Read read =
          revision == TypeRegistry.revisionOf(type)
              ? new Read(registry.nameOf(type), bindPart(field(part, "event", type), type))
              : upcastEvent(part, type, revision);
      if (read.event() instanceof SplitEvent) {
        throw new SerializationException("A part of " + SPLIT_EVENT + " splits again");
      }
      parts.add(read);
    }
    // The stored type's current name, as a split made here has it (an alias read as its type):
    // the bus holds a message's type property to it. A type this process does not know is refused.
    return parts(registry.nameOf(registry.typeOf(text(value, "storedType", true))), parts);
  }

  /**
   * The revision the payload is written at, where it is above 1: an envelope without one is at
   * revision 1, so the JSON of types that never changed stays as it was. Before the payload, so
   * that a reader knows it when the payload comes. The type's {@linkplain
   * TypeRegistry#writeRevision pinned} revision where {@code pinned} holds its JSON at it.
   */
  private static void writeRevision(JsonGenerator json, Object payload, Pinned pinned)
      throws IOException {
    int revision = pinned == null ? TypeRegistry.revisionOf(payload.getClass()) : pinned.revision();
    if (revision > 1) {
      json.writeNumberField("revision", revision);
    }
  }

  /** A payload's JSON at the revision its type's writes are pinned to, below its current one. */
  private record Pinned(int revision, ObjectNode payload) {}

  /**
   * The payload's JSON at its type's {@linkplain TypeRegistry#writeRevision pinned} revision, or
   * {@code null} where it is written as it is (no pin: the writers' fast path).
   */
  private Pinned pinned(Object payload) {
    if (!registry.hasPinnedWrites()) {
      return null;
    }
    Class<?> type = payload.getClass();
    int revision = registry.writeRevisionOf(type);
    if (revision == TypeRegistry.revisionOf(type)) {
      return null;
    }
    JsonNode tree;
    try {
      // Through the JSON text the unpinned write would be, not valueToTree: its token buffer,
      // forced to BigDecimal by this mapper, widened a float to a double's digits (0.1f became
      // 0.10000000149011612).
      tree = mapper.readTree(mapper.writeValueAsBytes(payload));
    } catch (IOException | IllegalArgumentException e) {
      throw new SerializationException("Cannot write " + registry.nameOf(type), e);
    }
    if (!(tree instanceof ObjectNode object)) {
      throw new SerializationException(
          registry.nameOf(type)
              + " is written at revision "
              + revision
              + ", but its JSON is not an object a downcaster can work on: "
              + tree.getNodeType());
    }
    return new Pinned(revision, registry.downcastPinned(type, object, revision));
  }

  private void writePayload(JsonGenerator json, Object payload, Pinned pinned, boolean command)
      throws IOException {
    if (pinned == null) {
      if (!readBack.contains(payload.getClass())) {
        readBackOnce(payload, command);
      }
      mapper.writeValue(json, payload);
    } else {
      mapper.writeTree(json, pinned.payload());
    }
  }

  /**
   * Reads the first payload of each class written back from its JSON before it is written: a class
   * Jackson can write but not read (a field of an interface type without type information, a record
   * its constructor cannot take back) would be stored and published, and then fail every load of
   * its stream and stop every processor at it, in the processes that read it from JSON. One read
   * per class and serializer; a class whose later values alone cannot be read (a subtype seen only
   * later) is not caught.
   *
   * @throws SerializationException if the payload cannot be read back; nothing is written
   */
  private void readBackOnce(Object payload, boolean command) {
    Class<?> type = payload.getClass();
    byte[] written;
    try {
      written = mapper.writeValueAsBytes(payload);
    } catch (IOException | IllegalArgumentException e) {
      return; // not writable at all: the write itself says so, with the stream
    }
    try {
      mapper.readValue(written, type);
    } catch (IOException | IllegalArgumentException e) {
      throw new SerializationException(
          (command ? "Commands" : "Events")
              + " of type "
              + TypeRegistry.logicalName(type)
              + " ("
              + type.getName()
              + ") can be written as JSON but not read back, so "
              + (command
                  ? "a sent one would fail in every process that receives it"
                  : "a stored one would make its stream unreadable")
              + "; nothing was written. Jackson: "
              + Texts.shown(e),
          e);
    }
    readBack.add(type);
  }

  private static void writeMetadata(JsonGenerator json, Map<String, String> metadata)
      throws IOException {
    json.writeObjectFieldStart("metadata");
    for (Map.Entry<String, String> entry : metadata.entrySet()) {
      json.writeStringField(entry.getKey(), entry.getValue());
    }
    json.writeEndObject();
  }

  /** Reads an envelope from UTF-8 JSON. */
  public VersionedEvent deserializeEvent(byte[] json) {
    // Hot path of every delivery: a single pass straight into the payload's class when the
    // envelope is well formed (most of a listener's CPU went into the tree and Instant.parse);
    // the tree decides everything else, so what is accepted and how it fails do not change.
    VersionedEvent event = streamReader.read(Objects.requireNonNull(json, "json"));
    return event != null ? event : fromTree(read(json));
  }

  /**
   * The current name of the type that an event envelope in UTF-8 JSON was written as: its {@code
   * eventType}, an {@linkplain TypeRegistry#alias alias} read as the name it stands for, {@code
   * cqrs.SplitEvent} as it is. It is not the {@link VersionedEvent#eventType()} that {@link
   * #deserializeEvent} reads where upcasters turn the stored event into one event of another type
   * (a split into one part, which reads as that event rather than as a {@link SplitEvent}); a
   * transport that names a message's type beside its body, as an earlier version named it from this
   * stored type, holds the two to this rather than to the upcast event's type. Reads the JSON
   * again: meant for that rare case, not for every message.
   *
   * @throws UnknownTypeException if {@code eventType} is not registered
   * @throws SerializationException if the JSON is not an envelope with an {@code eventType}
   */
  public String storedEventType(byte[] json) {
    JsonNode node = read(json);
    if (!node.isObject()) {
      throw new SerializationException(
          "An event envelope must be a JSON object, was " + node.getNodeType());
    }
    String eventType = text(node, "eventType", true);
    return SPLIT_EVENT.equals(eventType) ? eventType : registry.nameOf(registry.typeOf(eventType));
  }

  /** The command envelope as a JSON tree: the same JSON as {@link #serialize(Command)}. */
  public ObjectNode toTree(Command command) {
    Objects.requireNonNull(command, "command");
    try (TokenBuffer buffer = new TokenBuffer(mapper, false)) {
      write(buffer, command);
      return mapper.readTree(buffer.asParser());
    } catch (IOException e) {
      throw new SerializationException("Cannot write command " + command.commandType(), e);
    }
  }

  /** Reads a command envelope from a JSON tree. */
  public Command commandFromTree(JsonNode node) {
    Objects.requireNonNull(node, "node");
    if (!node.isObject()) {
      throw new SerializationException(
          "A command envelope must be a JSON object, was " + node.getNodeType());
    }
    String commandType = text(node, "commandType", true);
    Class<?> type = registry.typeOf(commandType);
    try {
      return new Command(
          text(node, "messageId", true),
          text(node, "correlationId", true),
          text(node, "causationId", false),
          registry.nameOf(type), // the current name of a type sent under an alias
          instant(node, "created"),
          commandBody(node, type, revision(node)),
          metadata(node));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new SerializationException(
          "Malformed " + commandType + " command: " + e.getMessage(), e);
    }
  }

  /** The command envelope as UTF-8 JSON. */
  public byte[] serialize(Command command) {
    Objects.requireNonNull(command, "command");
    ByteArrayBuilder bytes = new ByteArrayBuilder(512);
    try (JsonGenerator json = mapper.getFactory().createGenerator(bytes)) {
      write(json, command);
    } catch (IOException e) {
      throw new SerializationException("Cannot write command " + command.commandType(), e);
    }
    return bytes.toByteArray();
  }

  /**
   * Writes the command envelope as one JSON object at the generator's position: the one writer of
   * command envelopes (see {@link #write(JsonGenerator, VersionedEvent)}).
   *
   * @throws IOException if the generator fails
   */
  public void write(JsonGenerator json, Command command) throws IOException {
    json.writeStartObject();
    json.writeStringField("messageId", command.messageId());
    json.writeStringField("correlationId", command.correlationId());
    json.writeStringField("causationId", command.causationId());
    json.writeStringField("commandType", command.commandType());
    Pinned pinned = pinned(command.body());
    writeRevision(json, command.body(), pinned);
    json.writeStringField("created", Instants.format(command.created()));
    json.writeFieldName("body");
    writePayload(json, command.body(), pinned, true);
    writeMetadata(json, command.metadata());
    json.writeEndObject();
  }

  /** Reads a command envelope from UTF-8 JSON. */
  public Command deserializeCommand(byte[] json) {
    // A single pass, as for events; the tree decides everything the fast path does not expect.
    Command command = streamReader.readCommand(Objects.requireNonNull(json, "json"));
    return command != null ? command : commandFromTree(read(json));
  }

  /** Any value as JSON text with this serializer's settings (used for snapshots). */
  public String writeValue(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new SerializationException("Cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  ObjectMapper sharedMapper() {
    return mapper;
  }

  private JsonNode read(byte[] json) {
    Objects.requireNonNull(json, "json");
    try {
      JsonNode node = mapper.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new SerializationException("Empty message: expected a JSON envelope");
      }
      return node;
    } catch (IOException e) {
      throw new SerializationException("Malformed JSON: " + e.getMessage(), e);
    } catch (ObjectMappers.DecimalOutOfRangeException e) {
      throw new SerializationException(e.getMessage(), e);
    }
  }

  /** An event read from an envelope, and the name its envelope gets. */
  private record Read(String name, Object event) {}

  /**
   * The event in an envelope's {@code event} field, upcast from {@code revision} (below its type's
   * current one): the event, or, where a {@link SplittingUpcaster} split or dropped it, a {@link
   * SplitEvent} of what it became.
   */
  private Read upcastEvent(JsonNode node, Class<?> type, int revision) {
    List<TypeRegistry.Upcast> upcast = upcast(field(node, "event", type), "event", type, revision);
    List<Read> parts = new ArrayList<>(upcast.size());
    for (TypeRegistry.Upcast part : upcast) {
      parts.add(new Read(registry.nameOf(part.type()), bindPart(part.payload(), part.type())));
    }
    return parts(registry.nameOf(type), parts);
  }

  /** One event as it is, several or none as a {@link SplitEvent} of the stored type. */
  private static Read parts(String storedType, List<Read> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    List<Object> events = new ArrayList<>(parts.size());
    for (Read part : parts) {
      events.add(part.event());
    }
    return new Read(SPLIT_EVENT, new SplitEvent(storedType, events));
  }

  /**
   * A part bound as its type; refused if it reads as another class, as an envelope would be (a
   * split's parts get their names from their classes).
   */
  private Object bindPart(JsonNode value, Class<?> type) {
    Object event = bind(value, type, "event");
    String name = registry.nameOf(type);
    String actual;
    try {
      actual = TypeRegistry.logicalName(event.getClass());
    } catch (IllegalArgumentException e) {
      actual = event.getClass().getName();
    }
    if (!name.equals(actual)) {
      throw new SerializationException(
          "A "
              + name
              + " event reads as a "
              + event.getClass().getName()
              + " named '"
              + actual
              + "'");
    }
    return event;
  }

  /** A command's body, upcast from {@code revision}; a command is never split or dropped. */
  private Object commandBody(JsonNode node, Class<?> type, int revision) {
    JsonNode value = field(node, "body", type);
    if (revision == TypeRegistry.revisionOf(type)) {
      return bind(value, type, "body");
    }
    List<TypeRegistry.Upcast> parts = upcast(value, "body", type, revision);
    if (parts.size() != 1) {
      throw new SerializationException(
          "The upcasters of command "
              + registry.nameOf(type)
              + " made "
              + parts.size()
              + " commands of one at revision "
              + revision
              + ": a command can only be upcast one to one");
    }
    return bind(parts.get(0).payload(), parts.get(0).type(), "body");
  }

  private static JsonNode field(JsonNode node, String field, Class<?> type) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new SerializationException(
          "Missing field '" + field + "' in " + type.getSimpleName() + " envelope");
    }
    return value;
  }

  private List<TypeRegistry.Upcast> upcast(
      JsonNode value, String field, Class<?> type, int revision) {
    if (!value.isObject()) {
      throw new SerializationException(
          "Field '" + field + "' of " + type.getSimpleName() + " must be an object to upcast");
    }
    List<TypeRegistry.Upcast> parts = new ArrayList<>(2);
    registry.upcast(type, revision, ((ObjectNode) value).deepCopy(), parts);
    return parts;
  }

  private Object bind(JsonNode value, Class<?> type, String field) {
    try {
      return mapper.treeToValue(value, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new SerializationException(
          "Cannot read " + type.getSimpleName() + " from '" + field + "': " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode node, String field, boolean required) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        throw new SerializationException("Missing field '" + field + "' in envelope");
      }
      return null;
    }
    if (value.getNodeType() != JsonNodeType.STRING) {
      throw new SerializationException(
          "Field '" + field + "' must be a string, was " + value.getNodeType());
    }
    return value.textValue();
  }

  /** The envelope's {@code revision}: 1 where it has none. */
  private static int revision(JsonNode node) {
    JsonNode value = node.get("revision");
    if (value == null || value.isNull()) {
      return 1;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
      throw new SerializationException("Field 'revision' must be a whole number from 1");
    }
    return value.intValue();
  }

  private static long number(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.canConvertToLong() || !value.isIntegralNumber()) {
      throw new SerializationException("Field '" + field + "' must be an integer");
    }
    return value.longValue();
  }

  private static Instant instant(JsonNode node, String field) {
    String text = text(node, field, true);
    try {
      return Instants.parse(text);
    } catch (DateTimeParseException e) {
      throw new SerializationException(
          "Field '" + field + "' is not an ISO-8601 instant: " + text, e);
    }
  }

  private static Map<String, String> metadata(JsonNode node) {
    JsonNode value = node.get("metadata");
    if (value == null || value.isNull()) {
      return Map.of();
    }
    if (!value.isObject()) {
      throw new SerializationException("Field 'metadata' must be an object of strings");
    }
    Map<String, String> metadata = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = value.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getValue().isTextual()) {
        throw new SerializationException("Metadata '" + entry.getKey() + "' must be a string");
      }
      metadata.put(entry.getKey(), entry.getValue().textValue());
    }
    return metadata;
  }
}
