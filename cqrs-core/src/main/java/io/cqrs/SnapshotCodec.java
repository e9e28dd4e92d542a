package io.cqrs;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.cqrs.spi.Snapshot;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes an aggregate's fields as a snapshot and reads them back into a fresh instance. The
 * aggregate's non-static, non-transient fields (of its class and superclasses below {@link
 * EventSourceBased}) are its state; their names and types, and the aggregate's {@link
 * TypeName#revision()} above 1, make the schema fingerprint, so a snapshot of an older shape of the
 * class is recognised and ignored (and the stream replayed).
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
        CommandLookups.tick());
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
    List<String> fields = new ArrayList<>();
    for (Class<?> c = type; c != null && c != EventSourceBased.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        int modifiers = field.getModifiers();
        if (!Modifier.isStatic(modifiers) && !Modifier.isTransient(modifiers)) {
          fields.add(c.getName() + "." + field.getName() + ":" + field.getGenericType());
        }
      }
    }
    fields.sort(null);
    // A revision of the aggregate's own (@TypeName) invalidates its snapshots on purpose, for a
    // change the fields do not show (an upcaster that folds old events differently, say).
    // Revision 1 adds nothing, so the fingerprints of aggregates never revised stay as they were.
    int revision = TypeRegistry.revisionOf(type);
    if (revision > 1) {
      fields.add("revision=" + revision);
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(String.join(";", fields).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
