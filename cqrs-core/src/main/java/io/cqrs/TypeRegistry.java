package io.cqrs;

import io.cqrs.internal.EventRouter;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The allow-list of event, command and aggregate types, each under a stable logical name.
 *
 * <p>The logical name is the class's simple name, or the value of its {@link TypeName} annotation.
 * Only registered types are ever deserialized: an unregistered name fails with {@link
 * UnknownTypeException} and nothing is instantiated. There is no global registry; create one per
 * application and pass it where it is needed.
 *
 * <p>Thread-safe. Registration is idempotent; registering a second class under a name that is
 * already taken fails.
 */
public final class TypeRegistry {
  private final Map<String, Class<?>> byName = new ConcurrentHashMap<>();
  private final Map<Class<?>, String> byClass = new ConcurrentHashMap<>();

  /** Creates a registry that already holds the framework's own event types. */
  public TypeRegistry() {
    registerEvents(CommandFailed.class, EventProcessingFailed.class);
  }

  /**
   * Logical names by class, worked out once per class: {@link Command#create} asks for one per
   * command, and the annotation and simple name of a class never change.
   */
  private static final ClassValue<String> LOGICAL_NAMES =
      new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
          return computeLogicalName(type);
        }
      };

  /** The logical name of a class: its {@link TypeName} value, else its simple name. */
  public static String logicalName(Class<?> type) {
    Objects.requireNonNull(type, "type");
    return LOGICAL_NAMES.get(type);
  }

  /**
   * Fails unless {@code name} is the logical name of {@code payload}'s class: the one check that
   * keeps every envelope's type name honest (see {@link VersionedEvent} and {@link Command}).
   *
   * <p>On the hot path of every envelope built or read: one {@link ClassValue} lookup and, as a
   * registry's name is the very string this lookup returns, usually an identity comparison.
   *
   * @throws IllegalArgumentException naming the envelope, both names and the payload's class
   */
  static void requireNames(
      String envelope, String id, String field, String name, Object payload, String part) {
    Class<?> type = payload.getClass();
    String actual;
    try {
      actual = LOGICAL_NAMES.get(type);
    } catch (IllegalArgumentException e) {
      actual = null; // an anonymous or local class names no type at all: a mismatch too
    }
    if (!name.equals(actual)) {
      throw new IllegalArgumentException(
          envelope
              + " "
              + id
              + " has "
              + field
              + " '"
              + name
              + "' but its "
              + part
              + " is a "
              + type.getName()
              + (actual == null
                  ? ", which cannot be a message type"
                  : ", whose type name is '" + actual + "'"));
    }
  }

  private static String computeLogicalName(Class<?> type) {
    TypeName annotation = type.getAnnotation(TypeName.class);
    if (annotation != null) {
      if (annotation.value().isBlank()) {
        throw new IllegalArgumentException("@TypeName on " + type.getName() + " is blank");
      }
      return annotation.value();
    }
    if (type.isAnonymousClass() || type.isLocalClass() || type.isArray() || type.isPrimitive()) {
      throw new IllegalArgumentException(
          type.getName() + " cannot be a message type: it has no stable simple name");
    }
    return type.getSimpleName();
  }

  /** Registers event types. Returns this registry. */
  public TypeRegistry registerEvents(Class<?>... eventTypes) {
    return registerAll("eventTypes", eventTypes);
  }

  /** Registers command body types. Returns this registry. */
  public TypeRegistry registerCommands(Class<?>... commandTypes) {
    return registerAll("commandTypes", commandTypes);
  }

  /**
   * Registers an aggregate with the events it handles, validating eagerly that it declares (or
   * inherits) a {@code handle<EventName>(EventName)} method for each of them.
   *
   * @throws MissingHandlerException naming the aggregate and the expected method
   */
  public TypeRegistry registerAggregate(
      Class<? extends EventSourceBased> aggregateType, Class<?>... eventTypes) {
    Objects.requireNonNull(aggregateType, "aggregateType");
    Objects.requireNonNull(eventTypes, "eventTypes");
    EventRouter router = EventRouter.of(aggregateType);
    for (Class<?> eventType : eventTypes) {
      router.requireHandler(Objects.requireNonNull(eventType, "eventTypes[]"));
    }
    Class<?>[] all = java.util.Arrays.copyOf(eventTypes, eventTypes.length + 1, Class[].class);
    all[eventTypes.length] = aggregateType;
    return registerAll("eventTypes", all);
  }

  /** The logical name of a registered type. */
  public String nameOf(Class<?> type) {
    Objects.requireNonNull(type, "type");
    String name = byClass.get(type);
    if (name == null) {
      throw new UnknownTypeException(type.getName());
    }
    return name;
  }

  /** The class registered under a logical name. */
  public Class<?> typeOf(String name) {
    Objects.requireNonNull(name, "name");
    Class<?> type = byName.get(name);
    if (type == null) {
      throw new UnknownTypeException(name);
    }
    return type;
  }

  /** Whether a class is registered. */
  public boolean isRegistered(Class<?> type) {
    return byClass.containsKey(type);
  }

  /** The registered logical names, a snapshot. */
  public Set<String> names() {
    return Set.copyOf(byName.keySet());
  }

  /** Registers all of {@code types} or, if any name is taken by another class, none of them. */
  private synchronized TypeRegistry registerAll(String argument, Class<?>... types) {
    Objects.requireNonNull(types, argument);
    Map<String, Class<?>> batch = new java.util.LinkedHashMap<>();
    for (Class<?> type : types) {
      String name = logicalName(Objects.requireNonNull(type, argument + "[]"));
      Class<?> previous = byName.get(name);
      if (previous == null) {
        previous = batch.putIfAbsent(name, type);
      }
      if (previous != null && previous != type) {
        throw new IllegalArgumentException(
            "Type name '"
                + name
                + "' is taken by "
                + previous.getName()
                + "; give "
                + type.getName()
                + " a distinct @TypeName");
      }
    }
    batch.forEach(
        (name, type) -> {
          byName.put(name, type);
          byClass.put(type, name);
        });
    return this;
  }
}
