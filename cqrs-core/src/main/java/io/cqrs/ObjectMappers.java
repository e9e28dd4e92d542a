package io.cqrs;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import com.fasterxml.jackson.databind.deser.std.UntypedObjectDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ValueNode;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.ContextualSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
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
 *   <li>{@code java.time} types as ISO-8601 text ({@link JavaTimeModule}, no timestamps); a {@link
 *       java.time.ZonedDateTime} is written with its zone id and an {@link
 *       java.time.OffsetDateTime} or {@code ZonedDateTime} reads back in the offset and zone it was
 *       written in, not moved to UTC ({@code 2024-01-01T00:30+01:00[Europe/Berlin]} stays on the
 *       first of January);
 *   <li>numbers with a fraction read as {@link java.math.BigDecimal} and written plain, and JSON
 *       trees keep trailing zeros, so an amount of {@code 10.50} comes back as {@code 10.50}; a
 *       {@code BigDecimal} whose scale is beyond what can be written plain ({@code 1e30000000}, ten
 *       characters that a handler's arithmetic would spend minutes on) is refused on reading, typed
 *       or not ({@code Object}, {@code Map<String, Object>} and tree fields too), and a {@code
 *       BigDecimal} or {@code BigInteger} longer than that is refused on writing, so that nothing
 *       is stored that no reader could read;
 *   <li>property names and strings read however long they were written (Jackson's own read limits,
 *       50,000 and 20,000,000 characters, are lifted: every input cqrs parses is bounded whole
 *       first, by a document's, a message's or a request's size);
 *   <li>unknown properties are ignored (an event class may lose fields over time);
 *   <li>anything after a document's closing brace is an error;
 *   <li>no default typing, even when the caller's mapper has it: a message never names the classes
 *       its values are built as (an {@code Object} field cannot be made a {@code java.net.URL} or
 *       any other class on the class path).
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
    mapper.deactivateDefaultTyping();
    // What is written must read again. Jackson bounds reads only: a property name over 50,000
    // characters or a string over 20,000,000 was written (into a commit document, say) and every
    // later read of it failed. Every input here is bounded whole before it is parsed (a store's
    // document size, a bus's message size, an HTTP body limit), so names and strings read as long
    // as they were written; numbers keep the parser's bound, and writing holds them to it.
    mapper
        .getFactory()
        .setStreamReadConstraints(
            mapper
                .getFactory()
                .streamReadConstraints()
                .rebuild()
                .maxNameLength(Integer.MAX_VALUE)
                .maxStringLength(Integer.MAX_VALUE)
                .build());
    return mapper
        .registerModule(new JavaTimeModule())
        .registerModule(
            new SimpleModule("cqrs-bounded-decimals")
                .addDeserializer(BigDecimal.class, new BoundedBigDecimals())
                .addDeserializer(Object.class, new BoundedUntyped())
                .setSerializerModifier(
                    new BoundedNumberWriters(
                        mapper.getFactory().streamReadConstraints().getMaxNumberLength())))
        .setNodeFactory(BoundedNodes.INSTANCE)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(SerializationFeature.WRITE_DATES_WITH_ZONE_ID)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
        // Envelopes pass through JSON trees, whose default strips trailing zeros: 10.50 would
        // come back as 10.5, which is not equal() to it (money keeps its scale).
        .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);
  }

  /**
   * Reads a {@link BigDecimal} and refuses one whose plain text (as this mapper writes it) would be
   * longer than the parser reads as one number ({@code StreamReadConstraints}' maximum number
   * length, 1,000 characters by default): what is read must read again once written. It is the
   * exponent that matters: {@code 1e30000000} is ten characters.
   */
  private static final class BoundedBigDecimals extends NumberDeserializers.BigDecimalDeserializer {
    @Override
    public BigDecimal deserialize(JsonParser p, DeserializationContext context) throws IOException {
      BigDecimal value = super.deserialize(p, context);
      if (value != null) {
        requireWritable(p, value);
      }
      return value;
    }
  }

  /**
   * Values of {@code Object}, {@code Map<String, Object>} or {@code List<Object>} fields: a decimal
   * among them is held to what {@link BoundedBigDecimals} holds typed ones to. Nested maps and
   * lists are read through this same deserializer.
   */
  private static final class BoundedUntyped extends UntypedObjectDeserializer {
    private static final long serialVersionUID = 1L;

    BoundedUntyped() {
      super((com.fasterxml.jackson.databind.JavaType) null, null);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext context) throws IOException {
      Object value = super.deserialize(p, context);
      if (value instanceof BigDecimal decimal) {
        requireWritable(p, decimal);
      }
      return value;
    }
  }

  /**
   * Refuses {@code value} if its plain text would be longer than {@code p} reads as one number: the
   * bound of {@link BoundedBigDecimals} and {@link BoundedUntyped}.
   */
  private static void requireWritable(JsonParser p, BigDecimal value) throws IOException {
    int max = p.streamReadConstraints().getMaxNumberLength();
    long plain = plainLength(value);
    if (plain > max) {
      throw InvalidFormatException.from(
          p, outOfRange(value, plain, max), p.getText(), BigDecimal.class);
    }
  }

  /**
   * Wraps whatever serializer writes a {@link BigDecimal} or {@link BigInteger} (Jackson's, or one
   * of the application's own, which stays in charge of the output) so that it writes only a number
   * a reader of this mapper reads: no longer than the parser's maximum number length (1,000
   * characters by default). A number written longer ({@code BigInteger.TEN.pow(1000)}, {@code
   * 1E+1000} written plain) was stored, and every read of it refused: a commit no process could
   * load again.
   */
  private static final class BoundedNumberWriters extends BeanSerializerModifier {
    private static final long serialVersionUID = 1L;
    private final int max;

    BoundedNumberWriters(int max) {
      this.max = max;
    }

    @Override
    @SuppressWarnings("unchecked")
    public JsonSerializer<?> modifySerializer(
        SerializationConfig config, BeanDescription description, JsonSerializer<?> serializer) {
      Class<?> type = description.getBeanClass();
      if (type == BigDecimal.class || type == BigInteger.class) {
        return new BoundedNumberWriter((JsonSerializer<Object>) serializer, max);
      }
      return serializer;
    }
  }

  /** One {@link BoundedNumberWriters} serializer: checks the number, then lets its own write it. */
  private static final class BoundedNumberWriter extends JsonSerializer<Object>
      implements ContextualSerializer {
    private final JsonSerializer<Object> delegate;
    private final int max;

    BoundedNumberWriter(JsonSerializer<Object> delegate, int max) {
      this.delegate = delegate;
      this.max = max;
    }

    @Override
    public void serialize(Object value, JsonGenerator json, SerializerProvider provider)
        throws IOException {
      check(value, provider);
      delegate.serialize(value, json, provider);
    }

    @Override
    public void serializeWithType(
        Object value, JsonGenerator json, SerializerProvider provider, TypeSerializer types)
        throws IOException {
      check(value, provider);
      delegate.serializeWithType(value, json, provider, types);
    }

    @Override
    public boolean isEmpty(SerializerProvider provider, Object value) {
      return delegate.isEmpty(provider, value);
    }

    @Override
    public Class<Object> handledType() {
      return delegate.handledType();
    }

    @Override
    @SuppressWarnings("unchecked")
    public JsonSerializer<?> createContextual(SerializerProvider provider, BeanProperty property)
        throws JsonMappingException {
      JsonSerializer<?> contextual = provider.handlePrimaryContextualization(delegate, property);
      return contextual == delegate
          ? this
          : new BoundedNumberWriter((JsonSerializer<Object>) contextual, max);
    }

    private void check(Object value, SerializerProvider provider) throws JsonMappingException {
      long length =
          value instanceof BigDecimal decimal
              ? plainLength(decimal)
              : value instanceof BigInteger integer ? integerLength(integer) : 0;
      if (length > max) {
        throw JsonMappingException.from(
            provider,
            "Number out of range: a "
                + value.getClass().getSimpleName()
                + " of "
                + length
                + " characters cannot be written (at most "
                + max
                + ", what a reader reads as one number)");
      }
    }
  }

  /**
   * The number of digits of {@code value}, or 0 for a number far below the bound (the text is made
   * only for one near it).
   */
  static long integerLength(BigInteger value) {
    // 3,300 bits are at most 994 decimal digits. The sign is not counted: a parser bounds digits.
    if (value.bitLength() < 3_300) {
      return 0;
    }
    return value.abs().toString().length();
  }

  /** JSON trees (envelopes are read through them): a decimal node is held to the same bound. */
  private static final class BoundedNodes extends JsonNodeFactory {
    private static final long serialVersionUID = 1L;
    static final BoundedNodes INSTANCE = new BoundedNodes();

    @Override
    public ValueNode numberNode(BigDecimal value) {
      if (value != null) {
        long plain = plainLength(value);
        if (plain > StreamReadConstraints.DEFAULT_MAX_NUM_LEN) {
          throw new DecimalOutOfRangeException(
              outOfRange(value, plain, StreamReadConstraints.DEFAULT_MAX_NUM_LEN));
        }
      }
      return super.numberNode(value);
    }

    @Override
    public ValueNode numberNode(BigInteger value) {
      if (value != null && integerLength(value) > StreamReadConstraints.DEFAULT_MAX_NUM_LEN) {
        throw new DecimalOutOfRangeException(
            "Number out of range: an integer of "
                + integerLength(value)
                + " characters (at most "
                + StreamReadConstraints.DEFAULT_MAX_NUM_LEN
                + ")");
      }
      return super.numberNode(value);
    }
  }

  /**
   * What {@link BoundedNodes} throws: a tree cannot hold the decimal (see {@link EventSerializer}).
   */
  static final class DecimalOutOfRangeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    DecimalOutOfRangeException(String message) {
      super(message);
    }
  }

  private static String outOfRange(BigDecimal value, long plain, int max) {
    return "Number out of range: a decimal of scale "
        + value.scale()
        + " would be "
        + plain
        + " characters written plain (at most "
        + max
        + ")";
  }

  /** The length of {@code value.toPlainString()}, without making the string. */
  static long plainLength(BigDecimal value) {
    long scale = value.scale();
    long precision = value.precision();
    long digits = scale <= 0 ? precision - scale : Math.max(precision, scale + 1);
    return digits + (scale > 0 ? 1 : 0) + (value.signum() < 0 ? 1 : 0);
  }
}
