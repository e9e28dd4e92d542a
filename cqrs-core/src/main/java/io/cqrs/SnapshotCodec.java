package io.cqrs;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.cqrs.spi.Snapshot;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes an aggregate's fields as a snapshot and reads them back into a fresh instance. The
 * aggregate's non-static, non-transient fields (of its class and superclasses below {@link
 * EventSourceBased}) are its state; their names and types, the aggregate's {@link
 * TypeName#revision()} above 1 and the shapes of the application's classes those fields hold
 * ({@link #schemaText}) make the schema fingerprint, so a snapshot of an older shape of the class
 * is recognised and ignored (and the stream replayed). Unknown properties are ignored on reading,
 * as everywhere: a value object may write one its class has no field for (an annotated getter),
 * which would otherwise make every snapshot of it unreadable.
 */
final class SnapshotCodec {
  private static final ClassValue<String> SCHEMAS =
      new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
          return fingerprint(type);
        }
      };

  private final ObjectMapper mapper;

  // A reader per aggregate class, its root deserializer resolved once: the mapper's
  // readerForUpdating resolved it for every read (a cache lookup and a new reader's set-up).
  private final ConcurrentHashMap<Class<?>, ObjectReader> readers = new ConcurrentHashMap<>();

  SnapshotCodec(EventSerializer serializer) {
    this.mapper =
        serializer
            .sharedMapper()
            .copy()
            .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
  }

  Snapshot write(EventSourceBased aggregate, String aggregateType) {
    return new Snapshot(
        aggregate.id(),
        aggregate.version(),
        aggregateType,
        SCHEMAS.get(aggregate.getClass()),
        new String(state(aggregate, aggregateType), StandardCharsets.UTF_8),
        Instant.now());
  }

  /** Whether the snapshot was taken of this aggregate class in its current shape. */
  boolean matches(Snapshot snapshot, Class<?> type, String aggregateType) {
    return snapshot.aggregateType().equals(aggregateType)
        && snapshot.schema().equals(SCHEMAS.get(type));
  }

  void read(Snapshot snapshot, EventSourceBased into) throws Exception {
    readerOf(into).readValue(snapshot.state());
    into.restoreVersion(snapshot.version());
  }

  /** The aggregate's state for {@link AggregateCache}: what {@link #write} stores, as UTF-8. */
  AggregateCache.Entry cacheEntry(EventSourceBased aggregate, String aggregateType) {
    return new AggregateCache.Entry(
        aggregate.id(),
        aggregate.version(),
        aggregateType,
        state(aggregate, aggregateType),
        CommandLookups.tick(),
        0);
  }

  /**
   * The aggregate's fields as UTF-8 JSON: the one serialization of a snapshot and a cache entry.
   */
  private byte[] state(EventSourceBased aggregate, String aggregateType) {
    try {
      return mapper.writeValueAsBytes(aggregate);
    } catch (Exception e) {
      throw new SerializationException(
          "Cannot snapshot " + aggregateType + " '" + aggregate.id() + "'", e);
    }
  }

  /** Restores a state {@link #cacheEntry} made into {@code into}. */
  void read(AggregateCache.Entry entry, EventSourceBased into) throws Exception {
    readerOf(into).readValue(entry.state());
    into.restoreVersion(entry.version());
  }

  private ObjectReader readerOf(EventSourceBased into) {
    return readers.computeIfAbsent(into.getClass(), mapper::readerFor).withValueToUpdate(into);
  }

  private static String fingerprint(Class<?> type) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(schemaText(type).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /**
   * What the fingerprint is a digest of: the aggregate's fields, its revision, and the shapes of
   * the application's own classes its fields hold (a value object, a record, an event kept as
   * state, an element of a collection, the permitted subclasses of a sealed type, the subtypes a
   * {@code @JsonSubTypes} names), however deep. A field of {@code Owner} whose record went from
   * {@code (name)} to {@code (firstName, lastName)} changes the fingerprint, so the old snapshot is
   * replayed instead of read as an owner of nulls.
   */
  static String schemaText(Class<?> type) {
    Deque<Class<?>> held = new ArrayDeque<>();
    List<String> fields = fieldsOf(type, EventSourceBased.class, held);
    // A revision of the aggregate's own (@TypeName) invalidates its snapshots on purpose, for a
    // change the fields do not show (an upcaster that folds old events differently, say).
    // Revision 1 adds nothing, so the fingerprints of aggregates never revised stay as they were.
    int revision = TypeRegistry.revisionOf(type);
    if (revision > 1) {
      fields.add("revision=" + revision);
    }
    // Likewise an aggregate whose fields hold only the JDK's types keeps its fingerprint.
    List<String> shapes = new ArrayList<>();
    Set<Class<?>> seen = new HashSet<>(List.of(type));
    while (!held.isEmpty()) {
      Class<?> nested = held.poll();
      if (seen.add(nested)) {
        shapes.add(shapeOf(nested, held));
      }
    }
    if (!shapes.isEmpty()) {
      shapes.sort(null);
      fields.add("holds=" + String.join(";", shapes));
    }
    return String.join(";", fields);
  }

  /**
   * The state fields of {@code type} and its superclasses up to {@code upTo} (exclusive) or the
   * first of the JDK's, as {@code Declaring.name:genericType}, sorted; the application's classes
   * their types name are added to {@code held}.
   */
  private static List<String> fieldsOf(Class<?> type, Class<?> upTo, Deque<Class<?>> held) {
    List<String> fields = new ArrayList<>();
    // What each superclass's type variables stand for in {@code type}: a field {@code S state} of
    // {@code StateAggregate<S>} holds what {@code Account extends StateAggregate<Owner>} binds,
    // which Jackson reads it as, so that class's shape is part of the fingerprint.
    Map<TypeVariable<?>, Type> bindings = new HashMap<>();
    for (Class<?> c = type; c != null && c != upTo && !isJdk(c); c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        int modifiers = field.getModifiers();
        if (!Modifier.isStatic(modifiers) && !Modifier.isTransient(modifiers)) {
          Type declared = field.getGenericType();
          String text = c.getName() + "." + field.getName() + ":" + declared;
          if (isBound(declared, bindings, 0)) {
            // Only fields whose variables a subclass binds change their text, so every other
            // aggregate keeps its fingerprint (a held Range<T> is taken raw, its T bound to
            // nothing).
            text += "=" + bound(declared, bindings, held, 0);
          } else {
            applicationClasses(declared, held);
          }
          fields.add(text);
        }
      }
      if (c.getGenericSuperclass() instanceof ParameterizedType superclass
          && superclass.getRawType() instanceof Class<?> raw) {
        TypeVariable<?>[] variables = raw.getTypeParameters();
        Type[] arguments = superclass.getActualTypeArguments();
        for (int i = 0; i < variables.length && i < arguments.length; i++) {
          bindings.put(variables[i], arguments[i]);
        }
      }
    }
    fields.sort(null);
    return fields;
  }

  /**
   * {@code type} with its type variables replaced by what {@code bindings} binds them to, as text;
   * the application's classes it then names are added to {@code held}. A variable bound to nothing
   * (the class being fingerprinted is generic itself) stays its name.
   */
  private static String bound(
      Type type, Map<TypeVariable<?>, Type> bindings, Deque<Class<?>> held, int depth) {
    if (depth > 64) {
      return "?"; // a type that names itself through its bounds: nothing more to learn from it
    }
    if (type instanceof TypeVariable<?> variable) {
      Type argument = bindings.get(variable);
      return argument == null ? variable.getName() : bound(argument, bindings, held, depth + 1);
    }
    if (type instanceof ParameterizedType p) {
      List<String> arguments = new ArrayList<>();
      for (Type argument : p.getActualTypeArguments()) {
        arguments.add(bound(argument, bindings, held, depth + 1));
      }
      return bound(p.getRawType(), bindings, held, depth + 1)
          + "<"
          + String.join(",", arguments)
          + ">";
    }
    if (type instanceof GenericArrayType a) {
      return bound(a.getGenericComponentType(), bindings, held, depth + 1) + "[]";
    }
    if (type instanceof WildcardType w) {
      StringBuilder text = new StringBuilder("?");
      for (Type upper : w.getUpperBounds()) {
        text.append(" extends ").append(bound(upper, bindings, held, depth + 1));
      }
      for (Type lower : w.getLowerBounds()) {
        text.append(" super ").append(bound(lower, bindings, held, depth + 1));
      }
      return text.toString();
    }
    applicationClasses(type, held);
    return type.getTypeName();
  }

  /** Whether some type variable in {@code type} is bound, through {@code bindings}, to a type. */
  private static boolean isBound(Type type, Map<TypeVariable<?>, Type> bindings, int depth) {
    if (depth > 64) {
      return false;
    }
    if (type instanceof TypeVariable<?> variable) {
      Type argument = bindings.get(variable);
      return argument != null
          && (!(argument instanceof TypeVariable<?>) || isBound(argument, bindings, depth + 1));
    }
    if (type instanceof ParameterizedType p) {
      for (Type argument : p.getActualTypeArguments()) {
        if (isBound(argument, bindings, depth + 1)) {
          return true;
        }
      }
      return false;
    }
    if (type instanceof GenericArrayType a) {
      return isBound(a.getGenericComponentType(), bindings, depth + 1);
    }
    if (type instanceof WildcardType w) {
      for (Type bound : w.getUpperBounds()) {
        if (isBound(bound, bindings, depth + 1)) {
          return true;
        }
      }
      for (Type bound : w.getLowerBounds()) {
        if (isBound(bound, bindings, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  }

  /** One class's shape: its fields (or constants), revision and permitted subclasses. */
  private static String shapeOf(Class<?> type, Deque<Class<?>> held) {
    StringBuilder shape = new StringBuilder(type.getName()).append('{');
    if (type.isEnum()) {
      for (Object constant : type.getEnumConstants()) {
        shape.append(((Enum<?>) constant).name()).append(',');
      }
    } else {
      shape.append(String.join(",", fieldsOf(type, null, held)));
    }
    JsonSubTypes subtypes = type.getAnnotation(JsonSubTypes.class);
    if (subtypes != null) {
      List<String> named = new ArrayList<>();
      for (JsonSubTypes.Type subtype : subtypes.value()) {
        named.add(subtype.value().getName());
        held.add(subtype.value());
      }
      named.sort(null);
      shape.append("|subtypes ").append(String.join(",", named));
    }
    if (type.isSealed()) {
      List<String> permitted = new ArrayList<>();
      for (Class<?> subclass : type.getPermittedSubclasses()) {
        permitted.add(subclass.getName());
        held.add(subclass);
      }
      permitted.sort(null);
      shape.append("|permits ").append(String.join(",", permitted));
    }
    int revision = TypeRegistry.revisionOf(type);
    if (revision > 1) {
      shape.append("|revision=").append(revision);
    }
    return shape.append('}').toString();
  }

  /** Adds the classes in {@code type} (its raw class, arguments, bounds) that are not the JDK's. */
  private static void applicationClasses(Type type, Deque<Class<?>> into) {
    if (type instanceof Class<?> c) {
      if (c.isArray()) {
        applicationClasses(c.getComponentType(), into);
      } else if (!c.isPrimitive() && !isJdk(c)) {
        into.add(c);
      }
    } else if (type instanceof ParameterizedType p) {
      applicationClasses(p.getRawType(), into);
      for (Type argument : p.getActualTypeArguments()) {
        applicationClasses(argument, into);
      }
    } else if (type instanceof GenericArrayType a) {
      applicationClasses(a.getGenericComponentType(), into);
    } else if (type instanceof WildcardType w) {
      for (Type bound : w.getUpperBounds()) {
        applicationClasses(bound, into);
      }
      for (Type bound : w.getLowerBounds()) {
        applicationClasses(bound, into);
      }
    }
    // A type variable is resolved by fieldsOf where a subclass binds it; one bound to nothing
    // names no class the field's values are made as.
  }

  private static boolean isJdk(Class<?> type) {
    String name = type.getName();
    return name.startsWith("java.")
        || name.startsWith("javax.")
        || name.startsWith("jdk.")
        || name.startsWith("sun.")
        || name.startsWith("com.sun.");
  }
}
