package io.cqrs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.internal.EventRouter;
import io.cqrs.spi.BusHealth;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
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
  private final Map<String, Class<?>> aliases = new ConcurrentHashMap<>();

  /**
   * Per current type name, the upcaster from each revision (index) to the next, an {@link Upcaster}
   * or a {@link Splitter}; may have gaps.
   */
  private final Map<String, Object[]> upcasters = new ConcurrentHashMap<>();

  /** Per current type name, the downcaster from each revision (index) to the one below. */
  private final Map<String, Downcaster[]> downcasters = new ConcurrentHashMap<>();

  /** The revision each type with a {@linkplain #writeRevision pinned} one is written at. */
  private final Map<Class<?>, Integer> writeRevisions = new ConcurrentHashMap<>();

  /** A {@link SplittingUpcaster} and the types it declared its parts to be. */
  private record Splitter(SplittingUpcaster upcaster, Set<Class<?>> partTypes) {}

  /** How deep splits may nest (a part whose own chain splits again) before a loop is assumed. */
  private static final int MAX_SPLIT_DEPTH = 16;

  /** Creates a registry that already holds the framework's own event types. */
  public TypeRegistry() {
    registerEvents(
        CommandFailed.class,
        CommandHandled.class,
        EventProcessingFailed.class,
        EventProcessingRetried.class);
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

  /**
   * The name envelopes of a {@link SplitEvent} carry, which {@link EventSerializer} reads as a
   * split, never through a registry, and which no other type may take. After {@link
   * #LOGICAL_NAMES}, which it is computed with.
   */
  static final String SPLIT_EVENT = logicalName(SplitEvent.class);

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

  /** Revisions by class, from {@link TypeName#revision()}: read on every envelope written. */
  private static final ClassValue<Integer> REVISIONS =
      new ClassValue<>() {
        @Override
        protected Integer computeValue(Class<?> type) {
          TypeName annotation = type.getAnnotation(TypeName.class);
          int revision = annotation == null ? 1 : annotation.revision();
          if (revision < 1) {
            throw new IllegalArgumentException(
                "@TypeName on "
                    + type.getName()
                    + " has revision "
                    + revision
                    + "; revisions start at 1");
          }
          return revision;
        }
      };

  /** The revision of a class's JSON shape: its {@link TypeName#revision()}, else 1. */
  public static int revisionOf(Class<?> type) {
    Objects.requireNonNull(type, "type");
    return REVISIONS.get(type);
  }

  private static String computeLogicalName(Class<?> type) {
    TypeName annotation = type.getAnnotation(TypeName.class);
    if (annotation != null && !annotation.value().isEmpty()) {
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
      throw UnknownTypeException.unregisteredClass(type);
    }
    return name;
  }

  /** The class registered under a logical name, or under an {@linkplain #alias alias} of it. */
  public Class<?> typeOf(String name) {
    Objects.requireNonNull(name, "name");
    Class<?> type = byName.get(name);
    if (type == null) {
      type = aliases.get(name);
      if (type == null) {
        throw UnknownTypeException.unknownName(name);
      }
    }
    return type;
  }

  /**
   * Makes an old type name read as a registered type: envelopes written under {@code oldName} (an
   * event renamed since, say) load as {@code type}, under its current name, with no upcaster. Their
   * revision carries on: an envelope without one is at revision 1 of {@code type}.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   * @throws IllegalArgumentException if {@code oldName} is blank, a registered type's name (or
   *     {@code cqrs.SplitEvent}, the framework's), or an alias of another type
   */
  public synchronized TypeRegistry alias(String oldName, Class<?> type) {
    Objects.requireNonNull(oldName, "oldName");
    String current = nameOf(type);
    if (oldName.isBlank()) {
      throw new IllegalArgumentException("An alias of " + current + " must not be blank");
    }
    if (byName.containsKey(oldName)) {
      throw new IllegalArgumentException(
          "'" + oldName + "' cannot be an alias of " + current + ": it names a registered type");
    }
    if (SPLIT_EVENT.equals(oldName)) {
      throw new IllegalArgumentException(
          "'"
              + oldName
              + "' cannot be an alias of "
              + current
              + ": it is the framework's own name");
    }
    Class<?> previous = aliases.putIfAbsent(oldName, type);
    if (previous != null && previous != type) {
      throw new IllegalArgumentException(
          "'" + oldName + "' is an alias of " + nameOf(previous) + " already, not of " + current);
    }
    return this;
  }

  /**
   * The old names that read as the type registered under {@code name} ({@link #alias}), none if it
   * has none or is not registered: what a command bus also routes to that type's handlers, so that
   * a sender still using an old name reaches them.
   */
  public Set<String> aliasesOf(String name) {
    Objects.requireNonNull(name, "name");
    Class<?> type = byName.get(name);
    if (type == null) {
      return Set.of();
    }
    Set<String> names = new TreeSet<>();
    aliases.forEach(
        (alias, target) -> {
          if (target == type) {
            names.add(alias);
          }
        });
    return Collections.unmodifiableSet(names);
  }

  /**
   * Registers the upcaster of a registered type from {@code fromRevision} to the next revision.
   * Chains are checked whole by {@link #validateUpcasters()}, which {@link Cqrs.Builder#build()}
   * runs.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   * @throws IllegalArgumentException if {@code fromRevision} is not below the type's revision, or
   *     the step has an upcaster already; the message names the type and the revisions
   */
  public TypeRegistry upcaster(Class<?> type, int fromRevision, Upcaster upcaster) {
    Objects.requireNonNull(upcaster, "upcaster");
    return step(type, fromRevision, upcaster);
  }

  /**
   * Registers the upcaster of a registered event type from {@code fromRevision} at which one stored
   * event becomes several events, or none (see {@link SplittingUpcaster}): a step of the type's
   * chain like any other, checked the same way, and by {@link #validateUpcasters()} also for the
   * types its parts may have.
   *
   * @param partTypes every type a part may have (the type itself among them if it stays one of the
   *     parts); empty for an upcaster that only drops
   * @throws UnknownTypeException if {@code type} is not registered
   * @throws IllegalArgumentException if {@code fromRevision} is not below the type's revision, or
   *     the step has an upcaster already; the message names the type and the revisions
   */
  public TypeRegistry splittingUpcaster(
      Class<?> type, int fromRevision, List<Class<?>> partTypes, SplittingUpcaster upcaster) {
    Objects.requireNonNull(upcaster, "upcaster");
    Objects.requireNonNull(partTypes, "partTypes");
    Set<Class<?>> parts = new LinkedHashSet<>();
    for (Class<?> part : partTypes) {
      parts.add(Objects.requireNonNull(part, "partTypes[]"));
    }
    return step(type, fromRevision, new Splitter(upcaster, Collections.unmodifiableSet(parts)));
  }

  private synchronized TypeRegistry step(Class<?> type, int fromRevision, Object upcaster) {
    String name = nameOf(type);
    int current = revisionOf(type);
    if (fromRevision < 1 || fromRevision >= current) {
      throw new IllegalArgumentException(
          "An upcaster of "
              + name
              + " from revision "
              + fromRevision
              + " has nothing to upcast to: "
              + name
              + " is at revision "
              + current
              + (current == 1
                  ? " (give it @TypeName(revision = 2) first)"
                  : ", so upcasters go from revision 1 to " + (current - 1)));
    }
    Object[] chain = upcasters.computeIfAbsent(name, n -> new Object[current]);
    if (chain[fromRevision] != null) {
      throw new IllegalArgumentException(
          "Two upcasters of "
              + name
              + " from revision "
              + fromRevision
              + " to "
              + (fromRevision + 1));
    }
    chain[fromRevision] = upcaster;
    return this;
  }

  /**
   * Registers the downcaster of a registered type from {@code fromRevision} to the revision below,
   * for writing the type at a {@linkplain #writeRevision pinned} revision.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   * @throws IllegalArgumentException if {@code fromRevision} is not above 1 and at most the type's
   *     revision, or the step has a downcaster already; the message names the type and the
   *     revisions
   */
  public synchronized TypeRegistry downcaster(
      Class<?> type, int fromRevision, Downcaster downcaster) {
    Objects.requireNonNull(downcaster, "downcaster");
    String name = nameOf(type);
    int current = revisionOf(type);
    if (fromRevision < 2 || fromRevision > current) {
      throw new IllegalArgumentException(
          "A downcaster of "
              + name
              + " from revision "
              + fromRevision
              + " has nothing to downcast: "
              + name
              + " is at revision "
              + current
              + (current == 1
                  ? ", the first"
                  : ", so downcasters go from revision " + current + " down to 2"));
    }
    Downcaster[] chain = downcasters.computeIfAbsent(name, n -> new Downcaster[current + 1]);
    if (chain[fromRevision] != null) {
      throw new IllegalArgumentException(
          "Two downcasters of "
              + name
              + " from revision "
              + fromRevision
              + " to "
              + (fromRevision - 1));
    }
    chain[fromRevision] = downcaster;
    return this;
  }

  /**
   * Writes a registered type at {@code revision}, below its current one, by its {@linkplain
   * #downcaster downcasters}: for the first step of a rolling deployment of a revision bump, while
   * processes of the previous version, which read only the old revision, still run (see
   * docs/schema-evolution.md, "Rolling deployments"). Every writer of envelopes (stores, buses, the
   * relay) then writes the type so; this registry reads it back through its upcasters. At the
   * type's current revision, the pin is removed.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   * @throws IllegalArgumentException if {@code revision} is not from 1 to the type's revision
   * @throws IllegalStateException if a downcaster from the current revision down to {@code
   *     revision} is missing, or this registry could not read {@code revision} back (an upcaster
   *     from it up to the current revision is missing)
   */
  public synchronized TypeRegistry writeRevision(Class<?> type, int revision) {
    String name = nameOf(type);
    int current = revisionOf(type);
    if (revision < 1 || revision > current) {
      throw new IllegalArgumentException(
          name
              + " cannot be written at revision "
              + revision
              + ": it is at revision "
              + current
              + ", so it can be written at revisions 1 to "
              + current);
    }
    if (revision == current) {
      writeRevisions.remove(type);
      return this;
    }
    Downcaster[] chain = downcasters.get(name);
    for (int step = current; step > revision; step--) {
      if (chain == null || chain[step] == null) {
        throw new IllegalStateException(
            name
                + " cannot be written at revision "
                + revision
                + ": no downcaster from revision "
                + step
                + " to "
                + (step - 1));
      }
    }
    int readable = readableFrom(type);
    if (readable > revision) {
      throw new IllegalStateException(
          name
              + " cannot be written at revision "
              + revision
              + ": this registry could not read it back (no upcaster from revision "
              + (readable - 1)
              + " to "
              + readable
              + ")");
    }
    writeRevisions.put(type, revision);
    return this;
  }

  /**
   * The revision a registered type's payloads are written at: its {@linkplain #writeRevision
   * pinned} one, else its current one ({@link #revisionOf}).
   */
  public int writeRevisionOf(Class<?> type) {
    Integer pinned = writeRevisions.get(type);
    return pinned != null ? pinned : revisionOf(type);
  }

  /**
   * Whether a type's write revision is pinned: {@link #writeRevisionOf} may then differ. The
   * writers' fast path asks only this.
   */
  boolean hasPinnedWrites() {
    return !writeRevisions.isEmpty();
  }

  /**
   * The lowest revision a registered type can be written at: from its current revision down to it a
   * {@linkplain #downcaster downcaster} is registered for every step. The current revision itself
   * when the step below it has none. {@code SchemaLock} (cqrs-test) checks what the downcasters
   * write against what each of these revisions read.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   */
  public int writableDownTo(Class<?> type) {
    String name = nameOf(type);
    int lowest = revisionOf(type);
    Downcaster[] chain = downcasters.get(name);
    while (chain != null && lowest > 1 && chain[lowest] != null) {
      lowest--;
    }
    return lowest;
  }

  /**
   * {@code payload}, the JSON of {@code type} at its current revision (the caller's own copy, which
   * the downcasters may change), brought down to {@code revision} by its downcasters: what a
   * process whose write revision of the type is pinned there writes.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   * @throws IllegalArgumentException if {@code revision} is below {@link #writableDownTo} or above
   *     the type's current revision
   * @throws SerializationException if a downcaster fails or returns nothing
   */
  public ObjectNode downcast(Class<?> type, ObjectNode payload, int revision) {
    Objects.requireNonNull(payload, "payload");
    int lowest = writableDownTo(type);
    int current = revisionOf(type);
    if (revision < lowest || revision > current) {
      throw new IllegalArgumentException(
          nameOf(type)
              + " cannot be brought down to revision "
              + revision
              + ": its downcasters reach revisions "
              + lowest
              + " to "
              + current);
    }
    return downcastPinned(type, payload, revision);
  }

  /**
   * {@link #downcast} for a writer of a {@linkplain #writeRevision pinned} type, without the range
   * check: the pin was refused unless every downcaster down to it is registered, and they cannot be
   * removed.
   */
  ObjectNode downcastPinned(Class<?> type, ObjectNode payload, int revision) {
    String name = nameOf(type);
    Downcaster[] chain = downcasters.get(name);
    ObjectNode down = payload;
    for (int step = revisionOf(type); step > revision; step--) {
      try {
        down = chain[step].downcast(down);
      } catch (RuntimeException | Error e) {
        throw failed("downcaster", name, step, e);
      }
      if (down == null) {
        throw new SerializationException(
            "The downcaster of " + name + " from revision " + step + " returned no payload");
      }
    }
    return down;
  }

  /**
   * Checks every type's chain of upcasters: from the lowest revision one is registered for, each
   * step up to the type's current revision must have one, and every type a {@linkplain
   * #splittingUpcaster splitting upcaster} declared for its parts must be registered.
   *
   * @throws IllegalStateException naming the type and the missing step or part type
   */
  public void validateUpcasters() {
    upcasters.forEach(
        (name, chain) -> {
          int lowest = 1;
          while (chain[lowest] == null) {
            lowest++;
          }
          for (int step = lowest; step < chain.length; step++) {
            if (chain[step] == null) {
              throw new IllegalStateException(
                  "The upcasters of "
                      + name
                      + " have a gap: none from revision "
                      + step
                      + " to "
                      + (step + 1)
                      + ", between the one from revision "
                      + lowest
                      + " and revision "
                      + chain.length);
            }
            if (chain[step] instanceof Splitter splitter) {
              for (Class<?> part : splitter.partTypes()) {
                if (!isRegistered(part)) {
                  throw new IllegalStateException(
                      "The splitting upcaster of "
                          + name
                          + " from revision "
                          + step
                          + " to "
                          + (step + 1)
                          + " makes parts of "
                          + part.getName()
                          + ", which is not registered");
                }
              }
            }
          }
        });
  }

  /**
   * The lowest revision of a registered type whose payloads this registry can read: from there an
   * upcaster (one to one or {@linkplain #splittingUpcaster splitting}) is registered for every step
   * up to the type's current revision. The current revision itself when the step below it has none.
   * A payload of a revision below this one fails to read ("No upcaster of ..."); {@code SchemaLock}
   * (cqrs-test) checks it against the revisions an application has stored.
   *
   * @throws UnknownTypeException if {@code type} is not registered
   */
  public int readableFrom(Class<?> type) {
    String name = nameOf(type);
    int lowest = revisionOf(type);
    Object[] chain = upcasters.get(name);
    while (chain != null && lowest > 1 && chain[lowest - 1] != null) {
      lowest--;
    }
    return lowest;
  }

  /**
   * One event an upcast payload became: its type and its JSON at the type's current revision.
   *
   * @param type the event's registered type
   * @param payload the event's JSON at {@code type}'s current revision
   */
  record Upcast(Class<?> type, ObjectNode payload) {}

  /**
   * {@code payload} (the reader's own copy) of type {@code name} at {@code revision}, brought to
   * the type's current revision: one event, or, where a {@link SplittingUpcaster} is on the way,
   * any number of events, each brought to its own type's current revision, appended to {@code out}
   * in order.
   *
   * @throws SerializationException if a revision is newer than its type's, a step has no upcaster,
   *     an upcaster fails or returns nothing, or a part has a type its upcaster did not declare
   */
  void upcast(Class<?> type, int revision, ObjectNode payload, List<Upcast> out) {
    upcast(type, revision, payload, out, 0);
  }

  private void upcast(
      Class<?> type, int revision, ObjectNode payload, List<Upcast> out, int depth) {
    int current = revisionOf(type);
    if (revision == current) {
      out.add(new Upcast(type, payload));
      return;
    }
    String name = nameOf(type);
    if (revision > current) {
      throw new NewerRevisionException(name, revision, current);
    }
    Object[] chain = upcasters.get(name);
    ObjectNode upcast = payload;
    for (int step = revision; step < current; step++) {
      Object upcaster = chain == null ? null : chain[step];
      if (upcaster == null) {
        throw new SerializationException(
            "No upcaster of " + name + " from revision " + step + " to " + (step + 1));
      }
      if (upcaster instanceof Splitter splitter) {
        split(name, type, step, splitter, upcast, out, depth);
        return;
      }
      try {
        upcast = ((Upcaster) upcaster).upcast(upcast);
      } catch (RuntimeException | Error e) {
        throw failed("upcaster", name, step, e);
      }
      if (upcast == null) {
        throw new SerializationException(
            "The upcaster of " + name + " from revision " + step + " returned no payload");
      }
    }
    out.add(new Upcast(type, upcast));
  }

  private void split(
      String name,
      Class<?> type,
      int step,
      Splitter splitter,
      ObjectNode payload,
      List<Upcast> out,
      int depth) {
    if (depth == MAX_SPLIT_DEPTH) {
      throw new SerializationException(
          "The upcasters of " + name + " split more than " + MAX_SPLIT_DEPTH + " times deep");
    }
    List<SplittingUpcaster.Part> parts;
    try {
      parts = splitter.upcaster().upcast(payload);
    } catch (RuntimeException | Error e) {
      throw failed("upcaster", name, step, e);
    }
    if (parts == null) {
      throw new SerializationException(
          "The upcaster of "
              + name
              + " from revision "
              + step
              + " returned no list (an empty one drops the event)");
    }
    for (SplittingUpcaster.Part part : parts) {
      if (part == null || !splitter.partTypes().contains(part.type())) {
        throw madeAPart(
            name,
            step,
            (part == null ? "null" : part.type().getName())
                + ", which is not among the part types it was registered with");
      }
      if (part.type() == type && part.revision() <= step) {
        throw madeAPart(
            name,
            step,
            name
                + " at revision "
                + part.revision()
                + ": a part of its own type must be at a revision above "
                + step);
      }
      upcast(part.type(), part.revision(), part.payload(), out, depth + 1);
    }
  }

  private static SerializationException madeAPart(String name, int step, String what) {
    return new SerializationException(
        "The upcaster of " + name + " from revision " + step + " made a part of " + what);
  }

  /**
   * An upcaster's or downcaster's failure as the reader's or writer's: any exception or error, a
   * stack overflow included, except those after which the JVM cannot be trusted ({@link
   * BusHealth#isFatal}), which go on.
   */
  private static SerializationException failed(String kind, String name, int step, Throwable e) {
    if (e instanceof Error error && BusHealth.isFatal(error)) {
      throw error;
    }
    return new SerializationException(
        "The " + kind + " of " + name + " from revision " + step + " failed: " + e, e);
  }

  /**
   * Checks that every event type a registered aggregate has a {@code handle<EventName>} method for
   * is registered too: its events could be neither saved nor read back otherwise, and the omission
   * would show only at the first save of one ({@link UnknownTypeException}) or, in another process,
   * at the first read. {@link Cqrs.Builder#build()} calls it.
   *
   * @throws IllegalStateException naming the aggregate, its handler and the unregistered type
   */
  public void validateAggregates() {
    for (Class<?> type : Set.copyOf(byClass.keySet())) {
      if (!EventSourceBased.class.isAssignableFrom(type)) {
        continue;
      }
      for (Class<?> handled :
          EventRouter.of(type.asSubclass(EventSourceBased.class)).handledTypes()) {
        if (!isRegistered(handled)) {
          throw new IllegalStateException(
              type.getName()
                  + " handles "
                  + handled.getName()
                  + " (handle"
                  + handled.getSimpleName()
                  + "), which is not registered: list it among the aggregate's events"
                  + " (registerAggregate, Cqrs.Builder.aggregate) or register it with"
                  + " registerEvents");
        }
      }
    }
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
      if (SPLIT_EVENT.equals(name) && type != SplitEvent.class) {
        // Envelopes under this name are read as splits, never through the registry.
        throw new IllegalArgumentException(
            "Type name '"
                + name
                + "' is the framework's own (SplitEvent); give "
                + type.getName()
                + " another @TypeName");
      }
      Class<?> previous = byName.get(name);
      if (previous == null) {
        previous = aliases.get(name);
      }
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
