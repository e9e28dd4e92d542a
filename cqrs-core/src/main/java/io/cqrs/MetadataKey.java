package io.cqrs;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A typed key of the string metadata that {@link Command}s and {@link VersionedEvent}s carry: a
 * name and how its value is written and read. Metadata travels with the envelope through stores and
 * buses, and from a command to the events it causes and from an event to the commands a process
 * manager sends in reaction ({@link Command#reactingTo}).
 *
 * <pre>{@code
 * static final MetadataKey<String> TENANT = MetadataKey.string("tenant");
 * Command command = Command.create(body).withMetadata(TENANT, "acme");
 * Optional<String> tenant = event.metadata(TENANT);
 * }</pre>
 *
 * @param <T> the value's type
 */
public final class MetadataKey<T> {
  /** Who sent the command; carried to the events as {@link VersionedEvent#actor()}. */
  public static final MetadataKey<String> ACTOR = string("actor");

  /** On whose behalf; carried to the events as {@link VersionedEvent#onBehalfOf()}. */
  public static final MetadataKey<String> ON_BEHALF_OF = string("onBehalfOf");

  /** The W3C trace context's {@code traceparent} of the span the message was sent or made in. */
  public static final MetadataKey<String> TRACEPARENT = string("traceparent");

  /** The W3C trace context's {@code tracestate}, beside {@link #TRACEPARENT}. */
  public static final MetadataKey<String> TRACESTATE = string("tracestate");

  /**
   * The most entries an envelope's metadata may hold. Metadata travels with every event a command
   * causes and every command a process manager sends in reaction, so it is bounded: a message
   * carrying more (a forged one, say) is refused when it is made or read, never copied onward.
   */
  public static final int MAX_ENTRIES = 64;

  /** The longest key, in characters. */
  public static final int MAX_KEY_LENGTH = 128;

  /** The most characters of all keys and values of one envelope's metadata together. */
  public static final int MAX_TOTAL_LENGTH = 16 * 1024;

  private final String name;
  private final Function<String, T> read;
  private final Function<T, String> write;

  private MetadataKey(String name, Function<String, T> read, Function<T, String> write) {
    this.name = requireName(name);
    this.read = Objects.requireNonNull(read, "read");
    this.write = Objects.requireNonNull(write, "write");
  }

  /** A key whose value is a string. */
  public static MetadataKey<String> string(String name) {
    return new MetadataKey<>(name, Function.identity(), Function.identity());
  }

  /** A key whose value is a long, written in decimal. */
  public static MetadataKey<Long> number(String name) {
    return new MetadataKey<>(name, Long::valueOf, String::valueOf);
  }

  /** A key whose value is an instant, written in ISO-8601. */
  public static MetadataKey<Instant> instant(String name) {
    return new MetadataKey<>(name, Instant::parse, Instant::toString);
  }

  /** A key whose value {@code write} turns into a string and {@code read} back. */
  public static <T> MetadataKey<T> of(
      String name, Function<String, T> read, Function<T, String> write) {
    return new MetadataKey<>(name, read, write);
  }

  /** The key's name in the metadata map. */
  public String name() {
    return name;
  }

  /**
   * The value in {@code metadata}, or empty if absent.
   *
   * @throws IllegalArgumentException naming the key if the value cannot be read
   */
  public Optional<T> get(Map<String, String> metadata) {
    String text = metadata.get(name);
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(read.apply(text));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Metadata '" + name + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /** The value written as text. */
  public String write(T value) {
    return Objects.requireNonNull(write.apply(Objects.requireNonNull(value, name)), name);
  }

  /**
   * Checks an envelope's metadata against {@link #MAX_ENTRIES}, {@link #MAX_KEY_LENGTH} and {@link
   * #MAX_TOTAL_LENGTH}, and that no key is blank or value null.
   *
   * @throws IllegalArgumentException naming the limit and the envelope
   */
  static void requireBounded(Map<String, String> metadata, String kind, String id) {
    if (metadata.size() > MAX_ENTRIES || !withinBounds(metadata)) {
      // Named only on failure: every envelope with metadata passes here, and building the name
      // up front was the largest allocation of the traced command path.
      requireBounded(metadata, kind + " " + id);
    }
  }

  /**
   * Whether {@code metadata} with {@code more} added (replacing entries of the same keys) is within
   * {@link #MAX_ENTRIES}, {@link #MAX_KEY_LENGTH} and {@link #MAX_TOTAL_LENGTH}: whether an
   * envelope's {@code withMetadata(more)} would be accepted. For what adds entries of its own to
   * messages it did not make, as tracing adds {@link #TRACEPARENT} to every message it sees: a
   * message its sender filled to the limits is legal, and must not become illegal because such a
   * component is switched on, so the component asks first and passes the message on as it is where
   * its entries do not fit.
   */
  public static boolean fits(Map<String, String> metadata, Map<String, String> more) {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(more, "more");
    Bounds bounds = new Bounds();
    metadata.forEach(bounds);
    bounds.base = metadata;
    more.forEach(bounds);
    return bounds.problem == null
        && (long) metadata.size() + bounds.added <= MAX_ENTRIES
        && bounds.total <= MAX_TOTAL_LENGTH;
  }

  private static boolean withinBounds(Map<String, String> metadata) {
    Bounds bounds = new Bounds();
    metadata.forEach(bounds);
    return bounds.problem == null && bounds.total <= MAX_TOTAL_LENGTH;
  }

  static void requireBounded(Map<String, String> metadata, String envelope) {
    if (metadata.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(
          envelope + " has " + metadata.size() + " metadata entries; at most " + MAX_ENTRIES);
    }
    // forEach rather than an entry iterator: every envelope passes here, and the iterator of a
    // HashMap was a sixth of what the traced command path allocated.
    Bounds bounds = new Bounds();
    metadata.forEach(bounds);
    if (bounds.problem != null) {
      throw new IllegalArgumentException(envelope + bounds.problem);
    }
    if (bounds.total > MAX_TOTAL_LENGTH) {
      throw new IllegalArgumentException(
          envelope
              + " has "
              + bounds.total
              + " characters of metadata; at most "
              + MAX_TOTAL_LENGTH);
    }
  }

  /**
   * Adds up the characters of metadata entries and notes the first malformed one. Once {@code base}
   * is set, the entries that follow are added to it: one replacing an entry of {@code base} takes
   * that entry's characters off the total, any other counts as {@code added}.
   */
  private static final class Bounds implements java.util.function.BiConsumer<String, String> {
    long total;
    String problem;
    Map<String, String> base;
    int added;

    @Override
    public void accept(String key, String value) {
      if (problem != null) {
        return;
      }
      if (key == null || key.isBlank() || key.length() > MAX_KEY_LENGTH) {
        problem = " has a metadata key that is blank or longer than " + MAX_KEY_LENGTH;
      } else if (value == null) {
        problem = " has no value for metadata '" + key + "'";
      } else {
        if (base != null) {
          String replaced = base.get(key);
          if (replaced == null) {
            added++;
          } else {
            total -= key.length() + replaced.length();
          }
        }
        total += key.length() + value.length();
      }
    }
  }

  /**
   * {@code metadata} with {@code more} added (replacing entries of the same keys): what the
   * envelopes' {@code withMetadata} copy.
   *
   * @throws NullPointerException if a key or value of {@code more} is null
   * @throws IllegalArgumentException if a key of {@code more} is blank
   */
  static Map<String, String> merged(Map<String, String> metadata, Map<String, String> more) {
    return MetadataMap.merged(metadata, more);
  }

  static String requireName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("A metadata key must not be blank");
    }
    return name;
  }

  @Override
  public String toString() {
    return "MetadataKey[" + name + "]";
  }
}
