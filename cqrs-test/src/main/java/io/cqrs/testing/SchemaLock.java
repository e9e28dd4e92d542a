package io.cqrs.testing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyName;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.util.NameTransformer;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.ObjectMappers;
import io.cqrs.TypeRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Currency;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A test that an application's message types still read what it has stored: the JSON shape of every
 * registered event and command type, at each revision, is recorded in a file kept with the sources
 * ({@code src/test/resources/cqrs-schemas.json} unless given), and every later run compares the
 * classes with it. Jackson ignores a property it does not know (on purpose, so that rolling
 * deployments work), so renaming an event's field without a new revision reads every stored event
 * with the new field null, and nothing fails; this test fails instead.
 *
 * <pre>{@code
 * @Test
 * void storedMessagesStillRead() {
 *   SchemaLock.of(cqrs.types()).verify();
 * }
 * }</pre>
 *
 * <p>The file records each type as Jackson <em>writes</em> it, through the mapper the application's
 * {@link EventSerializer} uses ({@link #of(EventSerializer)}): property names as written ({@code
 * JsonProperty}, naming strategies, {@code JsonUnwrapped} flattened), records, beans and fields, a
 * {@code JsonValue}'s type, the elements, keys and values of collections, arrays and maps, each
 * enum value as written with the constant it stands for, and whether an any-getter writes more.
 * Each run checks the record against what the classes now <em>read</em>. {@link #verify()} fails,
 * listing each problem with what to do about it, when:
 *
 * <ul>
 *   <li>at a recorded revision, a stored property is no longer read (renamed, removed, made
 *       read-only, a creator reading another name; an any-setter reads everything), a property's
 *       type changed (other than a number widened without loss: {@code int} to {@code long} or
 *       {@code double}, an integer to {@code BigDecimal}; not {@code double} to {@code BigDecimal},
 *       which cannot read a stored {@code NaN}; not {@code Integer} to {@code int}, which reads a
 *       stored null as 0), a property became required, or an enum value reads as another constant
 *       or not at all, however deep in the application's value objects: give the type a new
 *       {@code @TypeName(revision = n)} and an upcaster from the recorded revision;
 *   <li>the upcasters do not reach the current revision from the oldest revision recorded, or from
 *       the oldest they reached when the type was first recorded ({@link
 *       TypeRegistry#readableFrom}), at any revision;
 *   <li>a revision went down;
 *   <li>a recorded type name is neither registered nor an {@linkplain TypeRegistry#alias alias} any
 *       more: stored events (or queued commands) of it would fail with {@code
 *       UnknownTypeException};
 *   <li>a recorded name is now an alias whose recorded shape the type it reads as does not read, at
 *       that revision (the class, or the shape recorded for that revision);
 *   <li>the {@linkplain TypeRegistry#downcaster downcasters} of a type bring a payload of its
 *       current revision (every property filled with a value of its type) down to a recorded
 *       revision without a property that revision reads, or with a value of another JSON type, an
 *       enum value it does not have, or fail: what processes of the older version would read while
 *       the type's writes are pinned ({@link TypeRegistry#writeRevision}).
 * </ul>
 *
 * <p>Changes stored messages can take (a type, a property or an enum constant added, a property
 * renamed with {@code JsonAlias}, made write-only, a revision with upcasters from the oldest one
 * recorded, a type renamed with an alias of its old name, which the file keeps as an entry of its
 * own) pass, and the file is rewritten to record them: commit it with the change, as the test
 * compares with what the file says, not with what is deployed. With {@link
 * #requireUpToDate(boolean) requireUpToDate(true)} (in CI, say) a file that is not up to date fails
 * instead of being rewritten. Without a file, {@code verify} writes one and fails, so that a build
 * never passes against a record nobody committed.
 *
 * <p>Not seen: a custom serializer's or deserializer's output, a value written as an array ({@code
 * JsonFormat(shape = ARRAY)}: reordered components pass), polymorphic types ({@code JsonTypeInfo}'s
 * type id and subtypes), an {@code Optional} (cqrs's mapper writes none), what upcasters do to a
 * payload, and a change of what a value means while its shape stays; those need a revision by hand.
 * A class that holds itself is recorded by its class name where it recurs, so renaming such a class
 * fails though its JSON stayed. Aggregates (their snapshots carry a fingerprint of their own) and
 * the framework's own types are not recorded.
 */
public final class SchemaLock {
  /** Where {@link #verify()} keeps the record unless {@link #file} says otherwise. */
  public static final Path DEFAULT_FILE = Path.of("src", "test", "resources", "cqrs-schemas.json");

  private static final String FORMAT = "cqrs-schemas";
  private static final int FORMAT_VERSION = 1;

  private final TypeRegistry registry;
  private final ObjectMapper mapper;
  private final ObjectMapper fileMapper =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private Path file = DEFAULT_FILE;
  private boolean requireUpToDate;

  private SchemaLock(TypeRegistry registry, ObjectMapper mapper) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.mapper = mapper;
  }

  /** A lock on the types of {@code registry}, as cqrs's default mapper writes them. */
  public static SchemaLock of(TypeRegistry registry) {
    return new SchemaLock(registry, ObjectMappers.create());
  }

  /**
   * A lock on the types of {@code serializer}'s registry, as its mapper (with the application's
   * modules and naming strategy) writes them.
   */
  public static SchemaLock of(EventSerializer serializer) {
    Objects.requireNonNull(serializer, "serializer");
    return new SchemaLock(serializer.registry(), serializer.mapper());
  }

  /** The file the record is kept in, relative to the working directory (the module's, in Maven). */
  public SchemaLock file(Path file) {
    this.file = Objects.requireNonNull(file, "file");
    return this;
  }

  /**
   * Whether a record that would be rewritten (changes that pass, not yet in the file) fails the
   * test instead; off by default. {@code requireUpToDate(System.getenv("CI") != null)} keeps
   * developers' runs updating the file and CI checking that it was committed.
   */
  public SchemaLock requireUpToDate(boolean requireUpToDate) {
    this.requireUpToDate = requireUpToDate;
    return this;
  }

  /**
   * Compares the registered types with the record, rewrites the record if they differ only in
   * changes stored messages can take, and fails otherwise.
   *
   * @throws AssertionError listing every problem, or saying the record was written or is stale
   * @throws UncheckedIOException if the file cannot be read or written
   */
  public void verify() {
    ObjectNode current = record();
    if (!Files.exists(file)) {
      write(current);
      throw new AssertionError(
          "Recorded the JSON shapes of "
              + current.get("types").size()
              + " message types in "
              + file.toAbsolutePath()
              + ": commit that file; every later run checks the types against it");
    }
    ObjectNode recorded = read();
    List<String> problems = new ArrayList<>();
    ObjectNode merged = merge(recorded, current, problems);
    if (!problems.isEmpty()) {
      throw new AssertionError(
          "The message types no longer read what "
              + file
              + " records as stored:\n- "
              + String.join("\n- ", problems)
              + "\n(docs/schema-evolution.md, \"Checking changes in a test\")");
    }
    if (!merged.equals(recorded)) {
      if (requireUpToDate) {
        throw new AssertionError(
            file
                + " is not up to date with the message types (changes that stored messages can"
                + " take): run this test without requireUpToDate and commit the file it writes");
      }
      write(merged);
    }
  }

  /** The record of the registered types as they are now, as {@link #verify()} would write it. */
  public String describe() {
    try {
      return fileMapper.writeValueAsString(record());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The record: {"format": "cqrs-schemas", "version": 1, "types": {name: {"aliasOf": current name,
  // only for an old name; "readableFrom": n, only below the newest revision; "revisions": {"1":
  // shape, ...}}}}, names and properties sorted so that the file diffs well.

  private ObjectNode record() {
    ObjectNode types = JsonNodeFactory.instance.objectNode();
    for (String name : new TreeSet<>(registry.names())) {
      Class<?> type = registry.typeOf(name);
      if (!recorded(type)) {
        continue;
      }
      int revision = TypeRegistry.revisionOf(type);
      ObjectNode entry = types.putObject(name);
      int readable = registry.readableFrom(type);
      if (readable < revision) {
        entry.put("readableFrom", readable);
      }
      entry
          .putObject("revisions")
          .set(
              Integer.toString(revision),
              shape(mapper.constructType(type), new ArrayDeque<>(), false));
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("format", FORMAT);
    root.put("version", FORMAT_VERSION);
    root.set("types", types);
    return root;
  }

  private static boolean recorded(Class<?> type) {
    return !EventSourceBased.class.isAssignableFrom(type)
        && !type.getPackageName().equals("io.cqrs");
  }

  /**
   * A type's shape as Jackson writes it ({@code reading} false, what the file records) or reads it
   * ({@code reading} true, what a record is checked against): a text for a scalar (the JDK's types;
   * a primitive by its own name, as it reads no null), {@code {"enum": {written value: constant}}},
   * {@code {"elements": shape}}, {@code {"keys": shape, "values": shape}}, {@code {"properties":
   * {...}}} for a bean, record or value class (reading: under every name it reads, its aliases
   * included, with {@code "required"} names and {@code "any": true} for an any-setter; writing:
   * {@code "any": true} for an any-getter), and {@code {"ref": class}} where a class holds itself.
   */
  private JsonNode shape(JavaType type, Deque<Class<?>> path, boolean reading) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    Class<?> raw = type.getRawClass();
    if (type.isReferenceType()) {
      return shape(type.getReferencedType(), path, reading); // Optional<T>: a T that may be absent
    }
    if (type.isMapLikeType()) {
      ObjectNode map = nodes.objectNode();
      map.set("keys", shape(type.getKeyType(), path, reading));
      map.set("values", shape(type.getContentType(), path, reading));
      return map;
    }
    if ((type.isArrayType() && raw != byte[].class && raw != char[].class)
        || type.isCollectionLikeType()) {
      return nodes.objectNode().set("elements", shape(type.getContentType(), path, reading));
    }
    if (raw.isEnum()) {
      // What Jackson writes for each constant: its name, a @JsonProperty or @JsonValue, or its
      // ordinal under @JsonFormat(shape = NUMBER); the constant it stands for.
      Map<String, String> values = new TreeMap<>();
      for (Object constant : raw.getEnumConstants()) {
        JsonNode written = mapper.valueToTree(constant);
        values.put(
            written.isTextual() ? written.asText() : written.toString(),
            ((Enum<?>) constant).name());
      }
      ObjectNode enumeration = nodes.objectNode();
      ObjectNode map = enumeration.putObject("enum");
      values.forEach(map::put);
      return enumeration;
    }
    if (raw.isPrimitive() || scalar(raw)) {
      return new TextNode(raw.getName());
    }
    if (path.contains(raw)) {
      return nodes.objectNode().put("ref", raw.getName());
    }
    BeanDescription written = mapper.getSerializationConfig().introspect(type);
    AnnotatedMember value = written.findJsonValueAccessor();
    path.push(raw);
    try {
      if (value != null) {
        return shape(value.getType(), path, reading);
      }
      ObjectNode bean = nodes.objectNode();
      Map<String, JsonNode> properties = new TreeMap<>();
      Set<String> required = new TreeSet<>();
      boolean any;
      if (reading) {
        BeanDescription read = mapper.getDeserializationConfig().introspect(type);
        for (BeanPropertyDefinition property : read.findProperties()) {
          if (property.couldDeserialize()) {
            JsonNode shape = property(property, path, true, properties);
            if (shape != null) {
              for (PropertyName alias : property.findAliases()) {
                properties.put(alias.getSimpleName(), shape);
              }
              if (property.isRequired()) {
                required.add(property.getName());
              }
            }
          }
        }
        any = read.findAnySetterAccessor() != null;
      } else {
        for (BeanPropertyDefinition property : written.findProperties()) {
          if (property.couldSerialize()) {
            property(property, path, false, properties);
          }
        }
        any = written.findAnyGetter() != null;
      }
      bean.putObject("properties").setAll(properties);
      if (!required.isEmpty()) {
        required.forEach(bean.putArray("required")::add);
      }
      if (any) {
        bean.put("any", true);
      }
      return bean;
    } finally {
      path.pop();
    }
  }

  /**
   * Adds one property's shape to {@code properties} under its name, or, for a {@code JsonUnwrapped}
   * one, the properties of its value under the names it writes them at; returns the shape it added
   * under the property's own name, null for an unwrapped one.
   */
  private JsonNode property(
      BeanPropertyDefinition property,
      Deque<Class<?>> path,
      boolean reading,
      Map<String, JsonNode> properties) {
    JavaType type = property.getPrimaryType();
    if (type.hasRawClass(Void.class)) {
      return null;
    }
    JsonNode shape = shape(type, path, reading);
    AnnotatedMember member = property.getPrimaryMember();
    NameTransformer unwrapping =
        member == null
            ? null
            : mapper
                .getSerializationConfig()
                .getAnnotationIntrospector()
                .findUnwrappingNameTransformer(member);
    if (unwrapping != null && shape.has("properties")) {
      shape
          .get("properties")
          .fields()
          .forEachRemaining(p -> properties.put(unwrapping.transform(p.getKey()), p.getValue()));
      return null;
    }
    properties.put(property.getName(), shape);
    return shape;
  }

  private static boolean scalar(Class<?> type) {
    String name = type.getName();
    return name.startsWith("java.")
        || name.startsWith("javax.")
        || JsonNode.class.isAssignableFrom(type)
        || type == byte[].class
        || type == char[].class;
  }

  // ---------------------------------------------------------------------------------------------
  // The comparison.

  /**
   * What the file should say now: every recorded type with the revisions it was recorded at (an old
   * name that is now an alias as it was recorded, with the name it reads as), and every current
   * type at its current revision; {@code problems} gets what stored messages could no longer take.
   */
  private ObjectNode merge(ObjectNode recorded, ObjectNode current, List<String> problems) {
    if (!FORMAT.equals(recorded.path("format").asText())
        || recorded.path("version").asInt() != FORMAT_VERSION
        || !recorded.path("types").isObject()) {
      throw new AssertionError(
          file + " is not a record of message shapes this version of cqrs-test writes");
    }
    ObjectNode merged = current.deepCopy();
    ObjectNode types = (ObjectNode) merged.get("types");
    ObjectNode recordedTypes = (ObjectNode) recorded.get("types");
    for (Iterator<Map.Entry<String, JsonNode>> it = recordedTypes.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      JsonNode was = entry.getValue();
      TreeMap<Integer, JsonNode> revisions = revisions(name, was);
      Class<?> type;
      try {
        type = registry.typeOf(name);
      } catch (RuntimeException unknown) {
        problems.add(
            name
                + " is recorded but neither registered nor an alias: its stored events (or queued"
                + " commands) would fail to read. Keep its class registered, or alias '"
                + name
                + "' to the type that replaces it (TypeRegistry.alias)");
        continue;
      }
      if (!recorded(type)) {
        problems.add(
            name
                + " is recorded as a message type but now names "
                + type.getName()
                + ", an aggregate or a framework type: give that class another @TypeName");
        continue;
      }
      String now = registry.nameOf(type);
      int oldest =
          Math.min(revisions.firstKey(), was.path("readableFrom").asInt(Integer.MAX_VALUE));
      if (name.equals(now)) {
        check(name, type, revisions, oldest, problems);
        ObjectNode target = (ObjectNode) types.get(now);
        ObjectNode merging = (ObjectNode) target.get("revisions");
        TreeMap<Integer, JsonNode> all = new TreeMap<>(revisions);
        merging.fields().forEachRemaining(r -> all.put(Integer.parseInt(r.getKey()), r.getValue()));
        merging.removeAll();
        all.forEach((revision, shape) -> merging.set(revision.toString(), shape));
        int readable = Math.min(oldest, registry.readableFrom(type));
        target.remove("readableFrom");
        if (readable < all.lastKey()) {
          target.put("readableFrom", readable);
        }
        // readableFrom first, as record() writes it
        JsonNode kept = target.remove("revisions");
        target.set("revisions", kept);
      } else {
        checkAlias(name, now, type, revisions, oldest, recordedTypes.path(now), problems);
        ObjectNode kept = was.deepCopy();
        kept.remove("aliasOf");
        ObjectNode alias = types.putObject(name);
        alias.put("aliasOf", now);
        alias.setAll(kept);
      }
    }
    // Sorted by name, as record() writes them.
    Map<String, JsonNode> sorted = new TreeMap<>();
    types.fields().forEachRemaining(t -> sorted.put(t.getKey(), t.getValue()));
    types.removeAll();
    types.setAll(sorted);
    return merged;
  }

  private TreeMap<Integer, JsonNode> revisions(String name, JsonNode entry) {
    TreeMap<Integer, JsonNode> revisions = new TreeMap<>();
    entry
        .path("revisions")
        .fields()
        .forEachRemaining(r -> revisions.put(revision(r.getKey()), r.getValue()));
    if (revisions.isEmpty()) {
      throw new AssertionError(file + ": " + name + " has no revisions recorded");
    }
    return revisions;
  }

  /** A recorded type under its current name, against its class and upcasters. */
  private void check(
      String name,
      Class<?> type,
      TreeMap<Integer, JsonNode> revisions,
      int oldest,
      List<String> out) {
    int revision = TypeRegistry.revisionOf(type);
    int newest = revisions.lastKey();
    if (revision < newest) {
      out.add(
          name
              + " is at revision "
              + revision
              + ", but revision "
              + newest
              + " is recorded: revisions only go up (messages of revision "
              + newest
              + " are stored)");
      return;
    }
    if (revision == newest) {
      List<String> changes = new ArrayList<>();
      compare(
          "",
          revisions.get(newest),
          shape(mapper.constructType(type), new ArrayDeque<>(), true),
          changes);
      for (String change : changes) {
        out.add(
            name
                + " at revision "
                + revision
                + ": "
                + change
                + ". Stored "
                + name
                + " were written with the recorded shape: give "
                + type.getSimpleName()
                + " @TypeName(revision = "
                + (revision + 1)
                + ") and an upcaster from revision "
                + revision);
      }
    }
    upcastable(name, name, type, oldest, revisions.lastKey(), out);
    downcastable(name, type, revisions, out);
  }

  /**
   * What the downcasters of {@code type} write at each recorded revision they reach, against what
   * that revision reads: a payload of the current revision with every property filled (a value of
   * its type, one element in each collection) is brought down, and each property the recorded shape
   * has must be there, with a value of its type. A pinned write is read by processes of the older
   * version, which no test of the newer one runs: a property the downcaster forgot to put back (a
   * rename it did not undo) reads there as null, silently.
   */
  private void downcastable(
      String name, Class<?> type, TreeMap<Integer, JsonNode> revisions, List<String> out) {
    int revision = TypeRegistry.revisionOf(type);
    int lowest = registry.writableDownTo(type);
    if (lowest >= revision) {
      return;
    }
    JsonNode sample = sample(shape(mapper.constructType(type), new ArrayDeque<>(), false), 0);
    if (!(sample instanceof ObjectNode payload)) {
      return; // written as a scalar (@JsonValue): no properties to check
    }
    for (int at = revision - 1; at >= lowest; at--) {
      JsonNode stored = revisions.get(at);
      if (stored == null) {
        continue; // never recorded here: no shape to check against
      }
      ObjectNode down;
      try {
        down = registry.downcast(type, payload.deepCopy(), at);
      } catch (RuntimeException e) {
        out.add(
            name
                + ": its downcasters fail to write a payload of revision "
                + revision
                + " at revision "
                + at
                + " ("
                + e.getMessage()
                + ")");
        continue;
      }
      List<String> wrong = new ArrayList<>();
      conforms("", down, stored, wrong);
      for (String problem : wrong) {
        out.add(
            name
                + " written at revision "
                + at
                + " by its downcasters (a pinned write, TypeRegistry.writeRevision): "
                + problem
                + ". Processes that read revision "
                + at
                + " would take it so: make the downcaster from revision "
                + (at + 1)
                + " write what revision "
                + at
                + " reads");
      }
    }
  }

  /**
   * Values of the JDK's types a message commonly holds beyond text, numbers and booleans, which a
   * downcaster may parse: written through the application's mapper, they have the form its messages
   * have.
   */
  private static final Map<String, Object> SAMPLES =
      Map.ofEntries(
          Map.entry("java.time.Instant", Instant.parse("2026-01-02T03:04:05.678Z")),
          Map.entry("java.time.LocalDate", LocalDate.of(2026, 1, 2)),
          Map.entry("java.time.LocalDateTime", LocalDateTime.of(2026, 1, 2, 3, 4, 5)),
          Map.entry("java.time.LocalTime", LocalTime.of(3, 4, 5)),
          Map.entry(
              "java.time.OffsetDateTime",
              OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(1))),
          Map.entry(
              "java.time.ZonedDateTime", ZonedDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC)),
          Map.entry("java.time.Duration", Duration.ofSeconds(90)),
          Map.entry("java.time.Period", Period.ofDays(3)),
          Map.entry("java.time.YearMonth", YearMonth.of(2026, 1)),
          Map.entry("java.util.UUID", UUID.fromString("00000000-0000-4000-8000-000000000007")),
          Map.entry("java.net.URI", URI.create("https://example.com/x")),
          Map.entry("java.util.Currency", Currency.getInstance("EUR")),
          Map.entry("java.util.Locale", Locale.UK));

  /** A value of {@code shape}, a written shape, with every property filled; null where unknown. */
  private JsonNode sample(JsonNode shape, int depth) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    if (depth > 16) {
      return nodes.nullNode();
    }
    if (shape.isTextual()) {
      return switch (kind(shape.asText())) {
        case TEXT -> nodes.textNode("x");
        case INTEGER -> nodes.numberNode(7);
        case DECIMAL -> nodes.numberNode(new java.math.BigDecimal("7.5"));
        case BOOLEAN -> nodes.booleanNode(true);
        case OTHER -> {
          Object value = SAMPLES.get(shape.asText());
          yield value == null ? nodes.nullNode() : mapper.valueToTree(value);
        }
      };
    }
    if (shape.has("enum")) {
      // As text: the record does not say whether a value was written as a number.
      Iterator<String> written = shape.get("enum").fieldNames();
      return written.hasNext() ? nodes.textNode(written.next()) : nodes.nullNode();
    }
    if (shape.has("elements")) {
      return nodes.arrayNode().add(sample(shape.get("elements"), depth + 1));
    }
    if (shape.has("values")) {
      // A key of the map's key type, as JSON writes every key: as text.
      JsonNode key = shape.has("keys") ? sample(shape.get("keys"), depth + 1) : nodes.nullNode();
      String name = key.isNull() ? "k" : key.isTextual() ? key.asText() : key.toString();
      return nodes.objectNode().set(name, sample(shape.get("values"), depth + 1));
    }
    if (shape.has("properties")) {
      ObjectNode bean = nodes.objectNode();
      shape
          .get("properties")
          .fields()
          .forEachRemaining(p -> bean.set(p.getKey(), sample(p.getValue(), depth + 1)));
      return bean;
    }
    return nodes.nullNode(); // a class that holds itself ("ref")
  }

  /** Adds to {@code problems} where {@code value} is not what {@code shape} (recorded) reads. */
  private static void conforms(String at, JsonNode value, JsonNode shape, List<String> problems) {
    String where = at.isEmpty() ? "the payload" : "'" + at + "'";
    if (value.isNull() || value.isMissingNode()) {
      if (shape.isTextual() && isPrimitive(shape.asText())) {
        problems.add(where + " is null, which a " + shape.asText() + " reads as its default");
      }
      return;
    }
    if (shape.isTextual()) {
      Kind kind = kind(shape.asText());
      boolean fits =
          switch (kind) {
            case TEXT -> value.isTextual();
            case INTEGER -> value.isIntegralNumber();
            case DECIMAL -> value.isNumber();
            case BOOLEAN -> value.isBoolean();
            case OTHER -> true;
          };
      if (!fits) {
        problems.add(
            where
                + " is written as "
                + value.getNodeType()
                + ", where a "
                + shape.asText()
                + " is read");
      }
      return;
    }
    if (shape.has("enum")) {
      String written = value.isTextual() ? value.asText() : value.toString();
      if (!shape.get("enum").has(written)) {
        problems.add(
            where
                + " is written as "
                + value
                + ", which is none of the values read: "
                + iterable(shape.get("enum").fieldNames()));
      }
      return;
    }
    if (shape.has("elements")) {
      if (!value.isArray()) {
        problems.add(where + " is written as " + value.getNodeType() + ", where a list is read");
        return;
      }
      for (JsonNode element : value) {
        conforms(at + "[]", element, shape.get("elements"), problems);
      }
      return;
    }
    if (shape.has("values")) {
      if (!value.isObject()) {
        problems.add(where + " is written as " + value.getNodeType() + ", where a map is read");
        return;
      }
      value
          .fields()
          .forEachRemaining(e -> conforms(at + "{}", e.getValue(), shape.get("values"), problems));
      return;
    }
    if (shape.has("properties")) {
      if (!value.isObject()) {
        problems.add(where + " is written as " + value.getNodeType() + ", where an object is read");
        return;
      }
      shape
          .get("properties")
          .fields()
          .forEachRemaining(
              p -> {
                String path = at.isEmpty() ? p.getKey() : at + "." + p.getKey();
                if (!value.has(p.getKey())) {
                  problems.add(
                      "no '"
                          + path
                          + "' is written, which is read (as null; write it, or write null"
                          + " explicitly where the newer revision has nothing for it)");
                } else {
                  conforms(path, value.get(p.getKey()), p.getValue(), problems);
                }
              });
    }
  }

  /** What JSON a scalar type reads, as far as a check of a downcaster's output needs to know. */
  private enum Kind {
    TEXT,
    INTEGER,
    DECIMAL,
    BOOLEAN,
    OTHER
  }

  private static Kind kind(String type) {
    return switch (type) {
      case "java.lang.String", "char", "java.lang.Character" -> Kind.TEXT;
      case "int",
          "long",
          "short",
          "byte",
          "java.lang.Integer",
          "java.lang.Long",
          "java.lang.Short",
          "java.lang.Byte",
          "java.math.BigInteger" ->
          Kind.INTEGER;
      case "double", "float", "java.lang.Double", "java.lang.Float", "java.math.BigDecimal" ->
          Kind.DECIMAL;
      case "boolean", "java.lang.Boolean" -> Kind.BOOLEAN;
      default -> Kind.OTHER;
    };
  }

  /**
   * Whether the upcasters of {@code type} read {@code name}'s stored revisions from {@code oldest}.
   */
  private void upcastable(
      String name, String now, Class<?> type, int oldest, int newest, List<String> out) {
    int revision = TypeRegistry.revisionOf(type);
    int readable = registry.readableFrom(type);
    if (oldest < revision && readable > oldest) {
      out.add(
          name
              + (name.equals(now) ? "" : " (now " + now + ")")
              + " is at revision "
              + revision
              + " and stored messages of it are at revision "
              + oldest
              + (oldest >= newest ? "" : " to " + newest)
              + ", but its upcasters start at revision "
              + readable
              + ": register the upcasters from revision "
              + oldest
              + " to "
              + readable
              + " (TypeRegistry.upcaster)");
    }
  }

  /**
   * A recorded type whose name is now an alias of {@code type}: its stored messages read as {@code
   * type} at their revisions, through its upcasters. At a revision {@code type} is at, its shape is
   * checked against the class; at an older one against {@code type}'s recorded shape there, which
   * the upcasters were written for.
   */
  private void checkAlias(
      String name,
      String now,
      Class<?> type,
      TreeMap<Integer, JsonNode> revisions,
      int oldest,
      JsonNode target,
      List<String> out) {
    int revision = TypeRegistry.revisionOf(type);
    for (Map.Entry<Integer, JsonNode> stored : revisions.entrySet()) {
      int at = stored.getKey();
      List<String> changes = new ArrayList<>();
      if (at == revision) {
        compare(
            "",
            stored.getValue(),
            shape(mapper.constructType(type), new ArrayDeque<>(), true),
            changes);
      } else if (at < revision && target.path("revisions").has(Integer.toString(at))) {
        compare("", stored.getValue(), target.path("revisions").get(Integer.toString(at)), changes);
      } else if (at > revision) {
        changes.add("recorded at revision " + at + ", above " + now + "'s " + revision);
      }
      for (String change : changes) {
        out.add(
            name
                + " (an alias of "
                + now
                + ") at revision "
                + at
                + ": "
                + change
                + ". Its stored messages read as "
                + now
                + " at revision "
                + at
                + ": give the alias a type of its own, or make "
                + now
                + "'s revision "
                + at
                + " read them");
      }
    }
    upcastable(name, now, type, oldest, revisions.lastKey(), out);
  }

  private int revision(String key) {
    int revision;
    try {
      revision = Integer.parseInt(key);
    } catch (NumberFormatException e) {
      throw new AssertionError(file + ": '" + key + "' is not a revision", e);
    }
    if (revision < 1) {
      throw new AssertionError(file + ": '" + key + "' is not a revision (they start at 1)");
    }
    return revision;
  }

  /**
   * Adds to {@code changes} every way {@code now} (a reading shape, or a recorded one) cannot read
   * what {@code was} (a recorded, written shape) says is stored.
   */
  private static void compare(String at, JsonNode was, JsonNode now, List<String> changes) {
    String where = at.isEmpty() ? "" : "'" + at + "' ";
    if (was.isTextual()) {
      if (!now.isTextual() || !readsAs(was.asText(), now.asText())) {
        changes.add(
            where
                + "changed from "
                + describe(was)
                + " to "
                + describe(now)
                + (now.isTextual() && isPrimitive(now.asText()) && !isPrimitive(was.asText())
                    ? " (a stored null would read as "
                        + ("boolean".equals(now.asText()) ? "false" : "0")
                        + ")"
                    : ""));
      }
      return;
    }
    String kind = was.fieldNames().hasNext() ? was.fieldNames().next() : "";
    if (!now.isObject() || !now.has(kind)) {
      changes.add(where + "changed from " + describe(was) + " to " + describe(now));
      return;
    }
    switch (kind) {
      case "properties" -> {
        JsonNode properties = now.get("properties");
        boolean absorbs = now.path("any").asBoolean();
        Set<String> stored = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = was.get("properties").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> property = it.next();
          stored.add(property.getKey());
          String path = at.isEmpty() ? property.getKey() : at + "." + property.getKey();
          JsonNode then = properties.get(property.getKey());
          if (then != null) {
            compare(path, property.getValue(), then, changes);
          } else if (!absorbs) {
            changes.add(
                "property '" + path + "' is no longer read (stored values of it would be lost)");
          }
        }
        for (JsonNode required : now.path("required")) {
          if (!stored.contains(required.asText())) {
            String path = at.isEmpty() ? required.asText() : at + "." + required.asText();
            changes.add(
                "property '" + path + "' is required, but stored values were written without it");
          }
        }
        if (was.path("any").asBoolean() && !absorbs) {
          changes.add(
              (at.isEmpty() ? "the" : "'" + at + "''s")
                  + " properties kept through @JsonAnyGetter are no longer read (no @JsonAnySetter):"
                  + " they would be lost");
        }
      }
      case "enum" -> {
        JsonNode values = now.get("enum");
        List<String> lost = new ArrayList<>();
        was.get("enum")
            .fields()
            .forEachRemaining(
                v -> {
                  JsonNode then = values.get(v.getKey());
                  if (then == null) {
                    lost.add(v.getKey());
                  } else if (!then.asText().equals(v.getValue().asText())) {
                    lost.add(
                        v.getKey()
                            + " (read as "
                            + then.asText()
                            + ", was "
                            + v.getValue().asText()
                            + ")");
                  }
                });
        if (!lost.isEmpty()) {
          changes.add(where + "no longer reads the enum values " + lost + " as stored");
        }
      }
      case "elements" -> compare(at + "[]", was.get("elements"), now.get("elements"), changes);
      case "keys" -> {
        compare(at + "{key}", was.get("keys"), now.get("keys"), changes);
        compare(at + "{}", was.get("values"), now.get("values"), changes);
      }
      default -> {
        if (!was.equals(now)) {
          changes.add(where + "changed from " + describe(was) + " to " + describe(now));
        }
      }
    }
  }

  /** The numbers a stored number of the recorded type reads as without loss. */
  private static final Map<String, Set<String>> WIDENINGS =
      Map.of(
          "java.lang.Byte",
          Set.of(
              "java.lang.Short",
              "java.lang.Integer",
              "java.lang.Long",
              "java.lang.Float",
              "java.lang.Double",
              "java.math.BigInteger",
              "java.math.BigDecimal"),
          "java.lang.Short",
          Set.of(
              "java.lang.Integer",
              "java.lang.Long",
              "java.lang.Float",
              "java.lang.Double",
              "java.math.BigInteger",
              "java.math.BigDecimal"),
          "java.lang.Integer",
          Set.of(
              "java.lang.Long", "java.lang.Double", "java.math.BigInteger", "java.math.BigDecimal"),
          "java.lang.Long",
          Set.of("java.math.BigInteger", "java.math.BigDecimal"),
          "java.lang.Float",
          Set.of("java.lang.Double"),
          "java.math.BigInteger",
          Set.of("java.math.BigDecimal"));

  private static boolean readsAs(String was, String now) {
    if (was.equals(now)) {
      return true;
    }
    if (isPrimitive(now) && !isPrimitive(was)) {
      return false; // a stored null would read as 0 or false
    }
    String from = boxed(was);
    String to = boxed(now);
    // Not float or double to BigDecimal: a stored NaN or Infinity does not read as one.
    return from.equals(to) || WIDENINGS.getOrDefault(from, Set.of()).contains(to);
  }

  private static boolean isPrimitive(String name) {
    return !name.contains(".") && !name.contains("[");
  }

  private static String boxed(String name) {
    return switch (name) {
      case "int" -> "java.lang.Integer";
      case "long" -> "java.lang.Long";
      case "double" -> "java.lang.Double";
      case "float" -> "java.lang.Float";
      case "boolean" -> "java.lang.Boolean";
      case "char" -> "java.lang.Character";
      case "byte" -> "java.lang.Byte";
      case "short" -> "java.lang.Short";
      default -> name;
    };
  }

  private static String describe(JsonNode shape) {
    if (shape.isTextual()) {
      return shape.asText();
    }
    if (shape.has("properties")) {
      return "an object of " + new TreeSet<>(iterable(shape.get("properties").fieldNames()));
    }
    if (shape.has("enum")) {
      return "an enum";
    }
    if (shape.has("elements")) {
      return "a list of " + describe(shape.get("elements"));
    }
    if (shape.has("keys")) {
      return "a map of " + describe(shape.get("values"));
    }
    return shape.toString();
  }

  private static <T> List<T> iterable(Iterator<T> it) {
    List<T> list = new ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }

  private ObjectNode read() {
    JsonNode node;
    try {
      node = fileMapper.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new AssertionError(file + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new AssertionError(file + " is not a JSON object");
    }
    return object;
  }

  private void write(ObjectNode record) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, fileMapper.writeValueAsString(record) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }
}
