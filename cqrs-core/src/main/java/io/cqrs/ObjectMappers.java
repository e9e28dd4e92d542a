package io.cqrs;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.Objects;

/**
 * The one place cqrs configures Jackson: the {@link EventSerializer} (and through it every store
 * and bus) uses a mapper from here, and applications that write their own JSON next to it (read
 * models, HTTP APIs) can start from the same settings so that a value reads back as it was written
 * everywhere.
 *
 * <p>The settings:
 *
 * <ul>
 *   <li>{@code java.time} types as ISO-8601 text ({@link JavaTimeModule}, no timestamps);
 *   <li>numbers with a fraction read as {@link java.math.BigDecimal} and written plain, and JSON
 *       trees keep trailing zeros, so an amount of {@code 10.50} comes back as {@code 10.50};
 *   <li>unknown properties are ignored (an event class may lose fields over time);
 *   <li>anything after a document's closing brace is an error.
 * </ul>
 *
 * <p>Each call returns a new mapper the caller owns: changing it changes nothing elsewhere.
 */
public final class ObjectMappers {
  private ObjectMappers() {}

  /** A new mapper with cqrs's settings. */
  public static ObjectMapper create() {
    return apply(new ObjectMapper());
  }

  /**
   * A copy of {@code mapper} (with its modules and settings, for example an application's own) with
   * cqrs's settings added on top; {@code mapper} itself is not changed.
   */
  public static ObjectMapper configure(ObjectMapper mapper) {
    return apply(Objects.requireNonNull(mapper, "mapper").copy());
  }

  private static ObjectMapper apply(ObjectMapper mapper) {
    return mapper
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
        // Envelopes pass through JSON trees, whose default strips trailing zeros: 10.50 would
        // come back as 10.5, which is not equal() to it (money keeps its scale).
        .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);
  }
}
