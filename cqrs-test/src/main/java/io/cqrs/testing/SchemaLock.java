package io.cqrs.testing;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.ObjectMappers;
import io.cqrs.TypeRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * <p>{@link #verify()} fails, listing each problem with what to do about it, when:
 *
 * <ul>
 *   <li>a type at a recorded revision lost a property, or a property's type changed (other than
 *       widening a number: {@code int} to {@code long}, any number to {@code BigDecimal}), or an
 *       enum lost a constant, however deep in the application's value objects: give the type a new
 *       {@code @TypeName(revision = n)} and an upcaster from the recorded revision;
 *   <li>a type's revision went up but its upcasters do not reach the current revision from the
 *       lowest revision recorded ({@link TypeRegistry#readableFrom});
 *   <li>a revision went down;
 *   <li>a recorded type, or a recorded alias, is neither registered nor an {@linkplain
 *       TypeRegistry#alias alias} any more: stored events (or queued commands) of it would fail
 *       with {@code UnknownTypeException}.
 * </ul>
 *
 * <p>Changes stored messages can take (a type or property added, an enum constant added, a revision
 * with upcasters from the lowest recorded one, a type renamed with an alias of its old name) pass,
 * and the file is rewritten to record them: commit it with the change, as the test compares with
 * what the file says, not with what is deployed. With {@link #requireUpToDate(boolean)
 * requireUpToDate(true)} (in CI, say) a file that is not up to date fails instead of being
 * rewritten. Without a file, {@code verify} writes one and fails, so that a build never passes
 * against a record nobody committed.
 *
 * <p>The shapes are Jackson's view of the classes, through the mapper the application's {@link
 * EventSerializer} uses ({@link #of(EventSerializer)}): property names as written ({@code
 * JsonProperty}, naming strategies), the properties of records, beans and fields, a {@code
 * JsonValue}'s type, the element, key and value types of collections, maps and arrays, and the
 * constants of enums. Not seen: a custom serializer's output, polymorphic subtypes beyond the
 * declared type, and a change of what a value means while its shape stays; those need a revision by
 * hand. Aggregates (their snapshots carry a fingerprint of their own) and the framework's own types
 * are not recorded.
 */
public final class SchemaLock {
  /** Where {@link #verify()} keeps the record unless {@link #file} says otherwise. */
  public static final Path DEFAULT_FILE = Path.of("src", "test", "resources", "cqrs-schemas.json");

  private static final String FORMAT = "cqrs-schemas";
  private static final int FORMAT_VERSION = 1;

  private final TypeRegistry registry;
  private final ObjectMapper mapper;
  private final ObjectMapper fileMapper =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
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
  // The record: {"format": "cqrs-schemas", "version": 1, "types": {name: {"aliases": [...],
  // "revisions": {"1": shape, ...}}}}, names and properties sorted so that the file diffs well.

  private ObjectNode record() {
    ObjectNode types = JsonNodeFactory.instance.objectNode();
    for (String name : new TreeSet<>(registry.names())) {
      Class<?> type = registry.typeOf(name);
      if (!recorded(type)) {
        continue;
      }
      ObjectNode entry = types.putObject(name);
      ArrayNode aliases = entry.putArray("aliases");
      registry.aliasesOf(name).forEach(aliases::add);
      entry
          .putObject("revisions")
          .set(
              Integer.toString(TypeRegistry.revisionOf(type)),
              shape(mapper.constructType(type), new ArrayDeque<>()));
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
   * A type's shape as Jackson writes it: a text for a scalar (the JDK's types, boxed), {@code
   * {"enum": [...]}}, {@code {"elements": shape}}, {@code {"keys": shape, "values": shape}}, {@code
   * {"properties": {...}}} for a bean, record or value class, and {@code {"ref": class}} where a
   * class holds itself.
   */
  private JsonNode shape(JavaType type, Deque<Class<?>> path) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    Class<?> raw = type.getRawClass();
    if (type.isReferenceType()) {
      return shape(type.getReferencedType(), path); // Optional<T>: a T that may be absent
    }
    if (type.isMapLikeType()) {
      ObjectNode map = nodes.objectNode();
      map.set("keys", shape(type.getKeyType(), path));
      map.set("values", shape(type.getContentType(), path));
      return map;
    }
    if ((type.isArrayType() && raw != byte[].class && raw != char[].class)
        || type.isCollectionLikeType()) {
      return nodes.objectNode().set("elements", shape(type.getContentType(), path));
    }
    if (raw.isEnum()) {
      SerializationConfig config = mapper.getSerializationConfig();
      Set<String> names = new TreeSet<>();
      for (Object constant : raw.getEnumConstants()) {
        names.add(enumName(config, (Enum<?>) constant));
      }
      ObjectNode enumeration = nodes.objectNode();
      names.forEach(enumeration.putArray("enum")::add);
      return enumeration;
    }
    if (raw.isPrimitive() || scalar(raw)) {
      return new TextNode(boxed(raw).getName());
    }
    if (path.contains(raw)) {
      return nodes.objectNode().put("ref", raw.getName());
    }
    BeanDescription description = mapper.getSerializationConfig().introspect(type);
    AnnotatedMember value = description.findJsonValueAccessor();
    path.push(raw);
    try {
      if (value != null) {
        return shape(value.getType(), path);
      }
      ObjectNode properties = nodes.objectNode();
      Map<String, JsonNode> sorted = new TreeMap<>();
      for (BeanPropertyDefinition property : description.findProperties()) {
        if (property.couldSerialize() && !property.getPrimaryType().hasRawClass(Void.class)) {
          sorted.put(property.getName(), shape(property.getPrimaryType(), path));
        }
      }
      properties.putObject("properties").setAll(sorted);
      return properties;
    } finally {
      path.pop();
    }
  }

  private static String enumName(SerializationConfig config, Enum<?> constant) {
    // What Jackson writes for the constant: its @JsonProperty name if it has one.
    String[] names =
        config
            .getAnnotationIntrospector()
            .findEnumValues(
                config,
                config.introspectClassAnnotations(constant.getDeclaringClass()).getClassInfo(),
                new Enum<?>[] {constant},
                new String[1]);
    return names[0] != null ? names[0] : constant.name();
  }

  private static boolean scalar(Class<?> type) {
    String name = type.getName();
    return name.startsWith("java.")
        || name.startsWith("javax.")
        || JsonNode.class.isAssignableFrom(type)
        || type == byte[].class
        || type == char[].class;
  }

  private static Class<?> boxed(Class<?> type) {
    if (!type.isPrimitive()) {
      return type;
    }
    return switch (type.getName()) {
      case "int" -> Integer.class;
      case "long" -> Long.class;
      case "double" -> Double.class;
      case "float" -> Float.class;
      case "boolean" -> Boolean.class;
      case "char" -> Character.class;
      case "byte" -> Byte.class;
      case "short" -> Short.class;
      default -> Void.class;
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The comparison.

  /**
   * What the file should say now: every recorded type (under its current name, its old names among
   * its aliases) with the revisions it was recorded at, and every current type at its current
   * revision; {@code problems} gets what stored messages could no longer take.
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
    for (Iterator<Map.Entry<String, JsonNode>> it = recorded.get("types").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      JsonNode was = entry.getValue();
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
      for (JsonNode alias : was.path("aliases")) {
        Class<?> target = null;
        try {
          target = registry.typeOf(alias.asText());
        } catch (RuntimeException unknown) {
          // reported below
        }
        if (target != type) {
          problems.add(
              "'"
                  + alias.asText()
                  + "', an old name of "
                  + name
                  + ", is no longer an alias of "
                  + now
                  + ": messages stored under it would fail to read. Keep TypeRegistry.alias(\""
                  + alias.asText()
                  + "\", "
                  + type.getSimpleName()
                  + ".class)");
        }
      }
      check(name, now, type, was.path("revisions"), problems);
      ObjectNode target = (ObjectNode) types.get(now);
      ObjectNode revisions = (ObjectNode) target.get("revisions");
      Map<Integer, JsonNode> byRevision = new TreeMap<>();
      was.path("revisions")
          .fields()
          .forEachRemaining(r -> byRevision.put(revision(r.getKey()), r.getValue()));
      revisions.fields().forEachRemaining(r -> byRevision.put(revision(r.getKey()), r.getValue()));
      revisions.removeAll();
      byRevision.forEach((revision, shape) -> revisions.set(revision.toString(), shape));
      Set<String> aliases = new TreeSet<>();
      target.path("aliases").forEach(a -> aliases.add(a.asText()));
      was.path("aliases").forEach(a -> aliases.add(a.asText()));
      if (!name.equals(now)) {
        aliases.add(name);
      }
      ArrayNode list = target.putArray("aliases");
      aliases.forEach(list::add);
    }
    return merged;
  }

  private void check(String name, String now, Class<?> type, JsonNode revisions, List<String> out) {
    TreeMap<Integer, JsonNode> recordedRevisions = new TreeMap<>();
    revisions
        .fields()
        .forEachRemaining(r -> recordedRevisions.put(revision(r.getKey()), r.getValue()));
    if (recordedRevisions.isEmpty()) {
      throw new AssertionError(file + ": " + name + " has no revisions recorded");
    }
    String called = name.equals(now) ? name : name + " (now " + now + ")";
    int revision = TypeRegistry.revisionOf(type);
    int newest = recordedRevisions.lastKey();
    int oldest = recordedRevisions.firstKey();
    if (revision < newest) {
      out.add(
          called
              + " is at revision "
              + revision
              + ", but revision "
              + newest
              + " is recorded: revisions only go up (messages of revision "
              + newest
              + " are stored)");
    } else if (revision == newest) {
      List<String> changes = new ArrayList<>();
      compare(
          "",
          recordedRevisions.get(newest),
          shape(mapper.constructType(type), new ArrayDeque<>()),
          changes);
      for (String change : changes) {
        out.add(
            called
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
    } else {
      int readable = registry.readableFrom(type);
      if (readable > oldest) {
        out.add(
            called
                + " is at revision "
                + revision
                + " and stored messages of it are at revision "
                + oldest
                + (oldest == newest ? "" : " to " + newest)
                + ", but its upcasters start at revision "
                + readable
                + ": register the upcasters from revision "
                + oldest
                + " to "
                + readable
                + " (TypeRegistry.upcaster)");
      }
    }
  }

  private int revision(String key) {
    try {
      return Integer.parseInt(key);
    } catch (NumberFormatException e) {
      throw new AssertionError(file + ": '" + key + "' is not a revision", e);
    }
  }

  /** Adds to {@code changes} every way {@code now} cannot read what {@code was} wrote. */
  private static void compare(String at, JsonNode was, JsonNode now, List<String> changes) {
    String where = at.isEmpty() ? "" : "'" + at + "' ";
    if (was.isTextual()) {
      if (!now.isTextual() || !readsAs(was.asText(), now.asText())) {
        changes.add(where + "changed from " + describe(was) + " to " + describe(now));
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
        for (Iterator<Map.Entry<String, JsonNode>> it = was.get("properties").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> property = it.next();
          String path = at.isEmpty() ? property.getKey() : at + "." + property.getKey();
          JsonNode then = properties.get(property.getKey());
          if (then == null) {
            changes.add(
                "property '" + path + "' was removed (stored values of it would be ignored)");
          } else {
            compare(path, property.getValue(), then, changes);
          }
        }
      }
      case "enum" -> {
        Set<String> constants = new TreeSet<>();
        now.get("enum").forEach(c -> constants.add(c.asText()));
        List<String> lost = new ArrayList<>();
        was.get("enum")
            .forEach(
                c -> {
                  if (!constants.contains(c.asText())) {
                    lost.add(c.asText());
                  }
                });
        if (!lost.isEmpty()) {
          changes.add(
              where + "lost the enum constants " + lost + " (stored ones would fail to read)");
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
          "java.lang.Byte", Set.of("java.lang.Short", "java.lang.Integer", "java.lang.Long"),
          "java.lang.Short", Set.of("java.lang.Integer", "java.lang.Long"),
          "java.lang.Integer", Set.of("java.lang.Long"),
          "java.lang.Float", Set.of("java.lang.Double"));

  private static boolean readsAs(String was, String now) {
    if (was.equals(now)) {
      return true;
    }
    boolean integral =
        Set.of("java.lang.Byte", "java.lang.Short", "java.lang.Integer", "java.lang.Long")
            .contains(was);
    if (integral && (now.equals("java.math.BigInteger") || now.equals("java.math.BigDecimal"))) {
      return true;
    }
    if ((was.equals("java.lang.Float")
            || was.equals("java.lang.Double")
            || was.equals("java.math.BigInteger"))
        && now.equals("java.math.BigDecimal")) {
      return true;
    }
    return WIDENINGS.getOrDefault(was, Set.of()).contains(now);
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
    try {
      JsonNode node = fileMapper.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (!(node instanceof ObjectNode object)) {
        throw new AssertionError(file + " is not a JSON object");
      }
      return object;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
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
