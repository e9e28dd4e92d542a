package io.cqrs.couchbase;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.UnknownTypeException;
import io.cqrs.VersionedEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The JSON of every document the repository writes, and strict reading of it: a document that is
 * not what the layout says fails with a {@link SerializationException} that names the stream and
 * the key.
 */
final class DocumentCodec {
  /** The layout version written into every document, so a future layout can tell them apart. */
  static final int FORMAT = 1;

  /**
   * The layout of a head that has moved commits to pages, and of its pages: a build that knows only
   * layout 1 refuses to read such a head rather than miss the commits it no longer lists.
   */
  static final int PAGED_FORMAT = 2;

  /**
   * A paged head's archive: {@code [archivedThrough, pages]}, the last version of the commits it
   * has moved to pages and the number of those pages (one field, so that a save reads it with one
   * sub-document path).
   */
  static final String ARCHIVE = "a";

  static final String COMMIT = "c";
  static final String INTEGRATION = "i";
  static final String GAP = "x";
  static final String ABORTED = "a";

  /** The field of a commit or claim that holds the hash of the command it is the effect of. */
  static final String COMMAND = "d";

  /** The head's object of command hashes, each mapped to the first version of its commit. */
  static final String COMMANDS = "m";

  /**
   * The field of a stream's head, its first claim and its first commit that holds the aggregate
   * type the stream was created for.
   */
  static final String TYPE = "t";

  private final EventSerializer serializer;
  private final ObjectMapper mapper;

  DocumentCodec(EventSerializer serializer) {
    this.serializer = serializer;
    this.mapper = serializer.mapper();
  }

  ObjectMapper mapper() {
    return mapper;
  }

  byte[] commit(String streamId, List<VersionedEvent> events) {
    return commit(streamId, events, null, null);
  }

  byte[] commit(String streamId, List<VersionedEvent> events, String command) {
    return commit(streamId, events, command, null);
  }

  /**
   * A commit document; {@code command} is the hash of the command it is the effect of, or null;
   * {@code type} the stream's aggregate type, for its first commit, or null.
   */
  byte[] commit(String streamId, List<VersionedEvent> events, String command, String type) {
    // Streamed, not built as a tree: every save writes one, and the envelopes go through the
    // serializer's one writer (the same JSON as on the buses).
    return stream(
        json -> {
          json.writeStringField("s", streamId);
          json.writeNumberField("v0", events.get(0).version());
          json.writeNumberField("v1", events.get(events.size() - 1).version());
          if (command != null) {
            json.writeStringField(COMMAND, command);
          }
          if (type != null) {
            json.writeStringField(TYPE, type);
          }
          json.writeArrayFieldStart("e");
          for (VersionedEvent event : events) {
            serializer.write(json, event);
          }
          json.writeEndArray();
        },
        COMMIT,
        512 * events.size());
  }

  byte[] integration(VersionedEvent event) {
    return stream(
        json -> {
          json.writeArrayFieldStart("e");
          serializer.write(json, event);
          json.writeEndArray();
        },
        INTEGRATION,
        512);
  }

  /** The fields of a streamed document after its layout version and kind. */
  private interface Fields {
    void write(JsonGenerator json) throws IOException;
  }

  private byte[] stream(Fields fields, String kind, int sizeHint) {
    ByteArrayBuilder bytes = new ByteArrayBuilder(sizeHint);
    try (JsonGenerator json = mapper.getFactory().createGenerator(bytes)) {
      json.writeStartObject();
      json.writeNumberField("f", FORMAT);
      json.writeStringField("k", kind);
      fields.write(json);
      json.writeEndObject();
    } catch (IOException e) {
      throw new SerializationException("Cannot write a document: " + e.getMessage(), e);
    }
    return bytes.toByteArray();
  }

  byte[] marker(String kind) {
    return write(document(kind));
  }

  byte[] claim(long seq, long last) {
    return claim(seq, last, null, null);
  }

  byte[] claim(long seq, long last, String command) {
    return claim(seq, last, command, null);
  }

  /**
   * A claim document; {@code command} is the hash of the command the commit is the effect of, or
   * null; {@code type} the stream's aggregate type, for the claim on version 1, or null.
   */
  byte[] claim(long seq, long last, String command, String type) {
    ObjectNode node = document(null);
    node.put("q", seq);
    node.put("l", last);
    if (command != null) {
      node.put(COMMAND, command);
    }
    if (type != null) {
      node.put(TYPE, type);
    }
    return write(node);
  }

  /**
   * A new head listing {@code entries}, the commands they are the effects of under "m", and the
   * stream's aggregate type under "t" (none if null).
   */
  byte[] head(long version, List<StreamHead.Entry> entries, String type) {
    ObjectNode node = document(null);
    node.put("v", version);
    if (type != null) {
      node.put(TYPE, type);
    }
    putCommits(node, entries);
    ObjectNode commands = node.putObject(COMMANDS);
    for (StreamHead.Entry entry : entries) {
      if (entry.command() != null) {
        commands.put(entry.command(), entry.first());
      }
    }
    return write(node);
  }

  /**
   * A head that has moved the commits up to {@code archivedThrough} to {@code pages} pages: it
   * lists {@code entries} (from {@code archivedThrough + 1} to {@code version}) and the {@code
   * commands} of their commits.
   */
  byte[] pagedHead(
      long version,
      String type,
      List<StreamHead.Entry> entries,
      Map<String, Long> commands,
      long pages,
      long archivedThrough) {
    ObjectNode node = mapper.createObjectNode();
    node.put("f", PAGED_FORMAT);
    node.put("v", version);
    if (type != null) {
      node.put(TYPE, type);
    }
    node.putArray(ARCHIVE).add(archivedThrough).add(pages);
    putCommits(node, entries);
    ObjectNode commandNode = node.putObject(COMMANDS);
    commands.forEach(commandNode::put);
    return write(node);
  }

  /** The commands a head lists ({@code "m"}), hash to first version, in document order. */
  Map<String, Long> headCommands(String key, byte[] json, String stream) {
    JsonNode node = read(key, json, stream, PAGED_FORMAT);
    Map<String, Long> commands = new LinkedHashMap<>();
    JsonNode object = node.path(COMMANDS);
    if (!object.isMissingNode() && !object.isObject()) {
      throw corrupt(key, stream, new IllegalArgumentException("field 'm' must be an object"));
    }
    var fields = object.fields();
    while (fields.hasNext()) {
      var field = fields.next();
      if (!field.getValue().canConvertToExactIntegral() || field.getValue().asLong() < 1) {
        throw corrupt(
            key, stream, new IllegalArgumentException("command entry " + field + " is malformed"));
      }
      commands.put(field.getKey(), field.getValue().asLong());
    }
    return commands;
  }

  /**
   * Page {@code page} of a stream's archived commits: {@code entries}, which follow version {@code
   * offset}.
   */
  byte[] headPage(String stream, long page, long offset, List<StreamHead.Entry> entries) {
    ObjectNode node = mapper.createObjectNode();
    node.put("f", PAGED_FORMAT);
    node.put("s", stream);
    node.put("i", page);
    node.put("o", offset);
    putCommits(node, entries);
    return write(node);
  }

  /**
   * Reads a page of archived commits, which must follow version {@code offset}.
   *
   * @return its commits, in version order
   */
  List<StreamHead.Entry> headPage(String key, byte[] json, String stream, long offset) {
    JsonNode node = read(key, json, stream, PAGED_FORMAT);
    try {
      if (node.path("f").asInt() != PAGED_FORMAT || !stream.equals(node.path("s").asText(null))) {
        throw new IllegalArgumentException(
            "not a page of stream '" + KeyLayout.shown(stream) + "'");
      }
      if (number(node, "o") != offset) {
        throw new IllegalArgumentException(
            "page follows version " + number(node, "o") + ", not " + offset);
      }
      List<StreamHead.Entry> entries = entries(node.get("c"), offset);
      if (entries.isEmpty()) {
        throw new IllegalArgumentException("page lists no commits");
      }
      return entries;
    } catch (RuntimeException e) {
      throw corrupt(key, stream, e);
    }
  }

  /** The version a page of archived commits follows ({@code "o"}). */
  long headPageOffset(String key, byte[] json, String stream) {
    JsonNode node = read(key, json, stream, PAGED_FORMAT);
    try {
      long offset = number(node, "o");
      if (offset < 0) {
        throw new IllegalArgumentException("page follows version " + offset);
      }
      return offset;
    } catch (RuntimeException e) {
      throw corrupt(key, stream, e);
    }
  }

  /** Commit entries {@code [last, seq]} following version {@code offset}, checked contiguous. */
  private static List<StreamHead.Entry> entries(JsonNode array, long offset) {
    if (array == null || !array.isArray()) {
      throw new IllegalArgumentException("field 'c' must be an array");
    }
    List<StreamHead.Entry> entries = new ArrayList<>(array.size());
    long previous = offset;
    for (JsonNode pair : array) {
      long last = pair.path(0).asLong(-1);
      long seq = pair.path(1).asLong(-1);
      if (!pair.isArray() || last <= previous || seq < 1) {
        throw new IllegalArgumentException("malformed commit entry " + pair);
      }
      entries.add(new StreamHead.Entry(previous + 1, last, seq));
      previous = last;
    }
    return entries;
  }

  /** Puts {@code entries} under {@code "c"} as {@code [last, seq]} pairs: heads and pages alike. */
  private static void putCommits(ObjectNode node, List<StreamHead.Entry> entries) {
    ArrayNode commits = node.putArray("c");
    for (StreamHead.Entry entry : entries) {
      commits.addArray().add(entry.last()).add(entry.seq());
    }
  }

  /** A head entry as the head document's array holds it. */
  static List<Long> headEntry(StreamHead.Entry entry) {
    return List.of(entry.last(), entry.seq());
  }

  /**
   * Reads a log document.
   *
   * @param stream the stream the caller expects it to belong to, for messages; may be null
   */
  LogDocument log(String key, byte[] json, String stream) {
    JsonNode node = read(key, json, stream);
    String kind = node.path("k").asText("");
    try {
      switch (kind) {
        case COMMIT:
          return commit(key, node);
        case INTEGRATION:
          return new LogDocument.Integration(events(node, 1, Long.MAX_VALUE));
        case GAP:
        case ABORTED:
          return new LogDocument.Marker(kind);
        default:
          throw new IllegalArgumentException("unknown kind '" + kind + "'");
      }
    } catch (UnknownTypeException e) {
      throw e;
    } catch (RuntimeException e) {
      String owner = node.path("s").isTextual() ? node.path("s").textValue() : stream;
      throw corrupt(key, owner, e);
    }
  }

  /**
   * What a log document holds without its events read: its kind, and for a commit its stream and
   * versions; {@code events} is how many events it holds. For a reader that needs positions only
   * (the log's head), which must not fail on an event whose type or revision this process cannot
   * read.
   *
   * @param streamId the commit's stream, else null
   * @param first the commit's first version, else 0
   */
  record LogShape(String kind, String streamId, long first, int events) {}

  /**
   * Reads a log document's {@link LogShape}, checked as {@link #log} checks it but for the events'
   * payloads.
   *
   * @throws SerializationException if it is not a log document of this layout
   */
  LogShape logShape(String key, byte[] json) {
    JsonNode node = read(key, json, null);
    String kind = node.path("k").asText("");
    try {
      switch (kind) {
        case COMMIT:
          String streamId = node.path("s").textValue();
          if (streamId == null) {
            throw new IllegalArgumentException("field 's' must be the stream id");
          }
          long first = number(node, "v0");
          long last = number(node, "v1");
          return new LogShape(kind, streamId, first, eventCount(node, first, last));
        case INTEGRATION:
          return new LogShape(kind, null, 0, eventCount(node, 1, Long.MAX_VALUE));
        case GAP:
        case ABORTED:
          return new LogShape(kind, null, 0, 0);
        default:
          throw new IllegalArgumentException("unknown kind '" + kind + "'");
      }
    } catch (RuntimeException e) {
      throw corrupt(key, node.path("s").isTextual() ? node.path("s").textValue() : null, e);
    }
  }

  private static int eventCount(JsonNode node, long first, long last) {
    JsonNode array = node.get("e");
    if (array == null || !array.isArray() || array.isEmpty()) {
      throw new IllegalArgumentException("field 'e' must be a non-empty array of events");
    }
    if (last != Long.MAX_VALUE && array.size() != last - first + 1) {
      throw new IllegalArgumentException(
          "holds " + array.size() + " events for versions " + first + ".." + last);
    }
    return array.size();
  }

  StreamHead.Entry claim(String key, byte[] json, String stream, long first) {
    JsonNode node = read(key, json, stream);
    try {
      long last = number(node, "l");
      long seq = number(node, "q");
      if (last < first || seq < 1) {
        throw new IllegalArgumentException("inconsistent claim " + node);
      }
      return new StreamHead.Entry(first, last, seq, command(node), type(node));
    } catch (RuntimeException e) {
      throw corrupt(key, stream, e);
    }
  }

  /** The publication marks a claim document holds. */
  PublicationMarks marks(String key, byte[] claimJson, String stream) {
    JsonNode node = read(key, claimJson, stream);
    try {
      return PublicationMarks.of(node);
    } catch (RuntimeException e) {
      throw corrupt(key, stream, e);
    }
  }

  StreamHead head(String key, byte[] json, String stream, long cas) {
    JsonNode node = read(key, json, stream, PAGED_FORMAT);
    try {
      long version = number(node, "v");
      long[] archive = archive(node.get(ARCHIVE));
      long archivedThrough = archive[0];
      long pages = archive[1];
      if ((archivedThrough == 0) != (pages == 0)) {
        throw new IllegalArgumentException(
            "pages " + pages + " hold versions 1.." + archivedThrough);
      }
      List<StreamHead.Entry> entries = entries(node.get("c"), archivedThrough);
      long previous = entries.isEmpty() ? archivedThrough : entries.get(entries.size() - 1).last();
      if (previous != version) {
        throw new IllegalArgumentException("commits end at " + previous + ", not at " + version);
      }
      return new StreamHead(version, List.copyOf(entries), cas, type(node), archivedThrough, pages);
    } catch (RuntimeException e) {
      throw corrupt(key, stream, e);
    }
  }

  /** The log sequences a correlation index document lists, in the order appended. */
  List<Long> sequences(String key, byte[] json) {
    return correlation(key, json).sequences();
  }

  /** A correlation index document's sequences and, where every entry has one, their causes. */
  CorrelationEntries correlation(String key, byte[] json) {
    // Written by sub-document appends alone, so it carries no layout version.
    JsonNode node;
    try {
      node = mapper.readTree(json);
    } catch (IOException e) {
      throw corrupt(key, null, e);
    }
    JsonNode array = node == null ? null : node.get("q");
    if (array == null || !array.isArray()) {
      throw new SerializationException("Correlation index '" + key + "' has no array 'q'");
    }
    List<Long> seqs = new ArrayList<>(array.size());
    for (JsonNode value : array) {
      if (!value.isIntegralNumber()) {
        throw new SerializationException("Correlation index '" + key + "' holds " + value);
      }
      seqs.add(value.longValue());
    }
    JsonNode causeArray = node.get("c");
    if (causeArray == null || !causeArray.isArray() || causeArray.size() != seqs.size()) {
      // Entries appended without a cause (an earlier layout, or an append that set "q" alone):
      // "c" no longer lines up with "q", so no entry's cause can be trusted.
      return new CorrelationEntries(seqs, null);
    }
    List<String> causes = new ArrayList<>(seqs.size());
    for (JsonNode cause : causeArray) {
      causes.add(cause.isTextual() ? cause.textValue() : null);
    }
    return new CorrelationEntries(seqs, causes);
  }

  /**
   * The entries of a correlation index document.
   *
   * @param sequences the log sequences, in the order appended (at least once each)
   * @param causes entry for entry, the tag of the causation id of that commit's events of the
   *     correlation ({@link KeyLayout#causeTag}), or {@code null} where unknown (none, or several);
   *     {@code null} as a whole if the document does not hold one for every entry
   */
  record CorrelationEntries(List<Long> sequences, List<String> causes) {
    /**
     * The distinct sequences, ascending, that may hold events of the cause tagged {@code tag}:
     * those recorded with that tag or with none known.
     */
    List<Long> causedBy(String tag) {
      TreeSet<Long> seqs = new TreeSet<>();
      for (int i = 0; i < sequences.size(); i++) {
        String cause = causes == null ? null : causes.get(i);
        if (cause == null || cause.equals(tag)) {
          seqs.add(sequences.get(i));
        }
      }
      return new ArrayList<>(seqs);
    }
  }

  ObjectNode document(String kind) {
    ObjectNode node = mapper.createObjectNode();
    node.put("f", FORMAT);
    if (kind != null) {
      node.put("k", kind);
    }
    return node;
  }

  byte[] write(JsonNode node) {
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new SerializationException("Cannot write a document: " + e.getMessage(), e);
    }
  }

  JsonNode read(String key, byte[] json, String stream) {
    return read(key, json, stream, FORMAT);
  }

  /** Reads a document of any layout version from 1 to {@code newest}. */
  private JsonNode read(String key, byte[] json, String stream, int newest) {
    JsonNode node;
    try {
      node = mapper.readTree(json);
    } catch (IOException e) {
      throw corrupt(key, stream, e);
    }
    if (node == null || !node.isObject()) {
      throw corrupt(key, stream, new IllegalArgumentException("not a JSON object"));
    }
    int format = node.path("f").asInt(-1);
    if (format < FORMAT || format > newest) {
      throw corrupt(
          key,
          stream,
          new IllegalArgumentException(
              newest == FORMAT
                  ? "layout version is not " + FORMAT
                  : "layout version is not " + FORMAT + " to " + newest));
    }
    return node;
  }

  /** The aggregate type a head, claim or commit records; null if it has none. */
  private static String type(JsonNode node) {
    JsonNode value = node.get(TYPE);
    if (value == null) {
      return null;
    }
    if (!value.isTextual() || value.textValue().isBlank()) {
      throw new IllegalArgumentException("field '" + TYPE + "' must be an aggregate type name");
    }
    return value.textValue();
  }

  /** An aggregate type read on its own with a sub-document lookup (raw JSON); null if absent. */
  String type(String key, byte[] raw, String stream) {
    if (raw == null) {
      return null;
    }
    try {
      JsonNode value = mapper.readTree(raw);
      if (value == null || !value.isTextual() || value.textValue().isBlank()) {
        throw new IllegalArgumentException("field '" + TYPE + "' must be an aggregate type name");
      }
      return value.textValue();
    } catch (IOException | RuntimeException e) {
      throw corrupt(key, stream, e);
    }
  }

  /** The command hash of a commit or claim; null if it has none. */
  private static String command(JsonNode node) {
    JsonNode value = node.get(COMMAND);
    if (value == null) {
      return null;
    }
    if (!value.isTextual() || value.textValue().isEmpty()) {
      throw new IllegalArgumentException("field '" + COMMAND + "' must be a command hash");
    }
    return value.textValue();
  }

  /** The document of the ranges relays passed without marks ({@link KeyLayout#relayed}). */
  byte[] relayed(PassedRanges passed) {
    ObjectNode node = document(null);
    var ranges = node.putArray("r");
    for (long[] range : passed.ranges()) {
      ranges.addArray().add(range[0]).add(range[1]);
    }
    return write(node);
  }

  /**
   * The ranges a {@link KeyLayout#relayed} document holds.
   *
   * @throws io.cqrs.SerializationException naming the key, if it is malformed
   */
  PassedRanges relayed(String key, byte[] json) {
    JsonNode node = read(key, json, null);
    try {
      JsonNode ranges = node.get("r");
      if (ranges == null || !ranges.isArray()) {
        throw new IllegalArgumentException("field 'r' must be an array of [from, to]");
      }
      List<long[]> parsed = new ArrayList<>(ranges.size());
      for (JsonNode range : ranges) {
        if (!range.isArray()
            || range.size() != 2
            || !range.get(0).canConvertToExactIntegral()
            || !range.get(1).canConvertToExactIntegral()) {
          throw new IllegalArgumentException("field 'r' must be an array of [from, to]");
        }
        parsed.add(new long[] {range.get(0).asLong(), range.get(1).asLong()});
      }
      return PassedRanges.of(parsed);
    } catch (IllegalArgumentException e) {
      throw corrupt(key, null, e);
    }
  }

  static long number(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException("field '" + field + "' must be an integer");
    }
    return value.longValue();
  }

  /**
   * A head's {@code [archivedThrough, pages]}; {@code [0, 0]} if absent (a head that never moved
   * commits to pages).
   */
  static long[] archive(JsonNode value) {
    if (value == null) {
      return new long[] {0, 0};
    }
    if (!value.isArray()
        || value.size() != 2
        || !value.get(0).canConvertToExactIntegral()
        || !value.get(1).canConvertToExactIntegral()
        || value.get(0).asLong() < 0
        || value.get(1).asLong() < 0) {
      throw new IllegalArgumentException(
          "field '" + ARCHIVE + "' must be [archivedThrough, pages], was " + value);
    }
    return new long[] {value.get(0).asLong(), value.get(1).asLong()};
  }

  /** {@link #archive(JsonNode)} from the field's raw JSON, as a sub-document lookup returns it. */
  long[] archive(byte[] json) {
    if (json == null) {
      return archive((JsonNode) null);
    }
    try {
      return archive(mapper.readTree(json));
    } catch (IOException e) {
      throw new IllegalArgumentException("field '" + ARCHIVE + "' is not JSON", e);
    }
  }

  static SerializationException corrupt(String key, String stream, Exception cause) {
    String owner = stream == null ? "" : " of stream '" + KeyLayout.shown(stream) + "'";
    return new SerializationException(
        "Document '" + key + "'" + owner + " is unreadable: " + cause.getMessage(), cause);
  }

  private LogDocument.Commit commit(String key, JsonNode node) {
    String streamId = node.path("s").textValue();
    if (streamId == null) {
      throw new IllegalArgumentException("field 's' must be the stream id");
    }
    long first = number(node, "v0");
    long last = number(node, "v1");
    List<VersionedEvent> events = events(node, first, last);
    for (int i = 0; i < events.size(); i++) {
      VersionedEvent event = events.get(i);
      if (event.version() != first + i || !event.sourceId().equals(streamId)) {
        throw new IllegalArgumentException(
            "event " + event.id() + " does not belong at version " + (first + i));
      }
    }
    return new LogDocument.Commit(streamId, first, last, events, command(node), type(node));
  }

  private List<VersionedEvent> events(JsonNode node, long first, long last) {
    JsonNode array = node.get("e");
    List<VersionedEvent> events = new ArrayList<>(eventCount(node, first, last));
    for (JsonNode event : array) {
      events.add(serializer.fromTree(event));
    }
    return events;
  }
}
