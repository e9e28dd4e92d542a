package io.cqrs.opentelemetry;

import io.cqrs.MetadataKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Reads and writes trace contexts in message metadata with the application's propagator (W3C {@code
 * traceparent}/{@code tracestate} under the SDK's defaults), and decides what a new span's parent
 * is. The propagator ignores a value it cannot parse (a forged or truncated {@code traceparent}),
 * so such metadata reads as "no context" and never fails a message.
 */
final class TraceContexts {
  private static final String TRACEPARENT = MetadataKey.TRACEPARENT.name();
  private static final String TRACESTATE = MetadataKey.TRACESTATE.name();

  /** The fields of W3C trace context and baggage: what {@link #w3c} propagators read. */
  private static final Set<String> W3C_FIELDS = Set.of(TRACEPARENT, TRACESTATE, "baggage");

  /** The longest replay age that is counted in milliseconds; beyond, it is as good as forever. */
  private static final Duration MAX_MILLIS = Duration.ofMillis(Long.MAX_VALUE / 2);

  private static final TextMapGetter<Map<String, String>> GETTER =
      (carrier, key) -> carrier == null ? null : carrier.get(key);

  private static final TextMapSetter<Fields> SETTER =
      (carrier, key, value) -> {
        if (carrier != null && key != null && !key.isBlank() && value != null) {
          carrier.set(key, value);
        }
      };

  /**
   * A new span's parent context, and the context it links to instead where it starts a trace of its
   * own; {@code replay} when the message is older than the replay age. The context the message
   * carried is read from its metadata only where it is needed and was not read yet (a publish
   * inside the trace it carries, see {@link #forPublish}).
   */
  static final class Parent {
    private final Context context;
    private final SpanContext link;
    private final boolean replay;
    private SpanContext carried; // null until read, for a publish that had no need of it
    private final Map<String, String> metadata;
    private final TraceContexts contexts;

    private Parent(
        Context context,
        SpanContext link,
        boolean replay,
        SpanContext carried,
        Map<String, String> metadata,
        TraceContexts contexts) {
      this.context = context;
      this.link = link;
      this.replay = replay;
      this.carried = carried;
      this.metadata = metadata;
      this.contexts = contexts;
    }

    Parent(Context context, SpanContext link, boolean replay, SpanContext carried) {
      this(context, link, replay, carried, null, null);
    }

    Context context() {
      return context;
    }

    SpanContext link() {
      return link;
    }

    boolean replay() {
      return replay;
    }

    /** The span context the message carried; invalid where it carried none (or a bad one). */
    SpanContext carried() {
      if (carried == null) {
        carried =
            TraceContexts.carried(contexts.propagator.extract(context, metadata, GETTER), context);
      }
      return carried;
    }

    /**
     * Whether a message may go on with the context it carries instead of a copy naming {@code
     * span}: {@code span} records nothing and the message already carries its trace, not sampled
     * either, so whoever reads it next decides the same and the copy would change nothing seen.
     */
    boolean carriesUnsampled(Span span) {
      if (span.isRecording()) {
        return false;
      }
      SpanContext carried = carried();
      return carried.isValid()
          && !carried.isSampled()
          && carried.getTraceId().equals(span.getSpanContext().getTraceId());
    }
  }

  private final TextMapPropagator propagator;
  private final Duration replayAge;

  /**
   * Whether the propagator reads W3C trace context (and perhaps W3C baggage) and nothing else, so
   * that the trace id in a {@code traceparent} is the trace a message carries.
   */
  private final boolean w3c;

  private final long replayAgeMillis;
  private final Clock clock;

  TraceContexts(TextMapPropagator propagator, Duration replayAge, Clock clock) {
    this.propagator = propagator;
    this.replayAge = replayAge;
    this.replayAgeMillis =
        replayAge.compareTo(MAX_MILLIS) > 0 ? Long.MAX_VALUE : replayAge.toMillis();
    this.clock = clock;
    this.w3c =
        propagator.fields().contains(TRACEPARENT) && W3C_FIELDS.containsAll(propagator.fields());
  }

  /** How old an event may be and still join the trace it carries. */
  Duration replayAge() {
    return replayAge;
  }

  /**
   * The parent of a span that publishes a message: the current span where there is one (the handler
   * or save that publishes), else the context the message carries, the relay's case, which
   * publishes long after the commit on a thread of its own. {@code created} is the event's, for the
   * replay rule, or {@code null} for a command, which always joins its trace.
   */
  Parent forPublish(Context current, Map<String, String> metadata, Instant created) {
    if (inTraceOf(current, metadata)) {
      // The usual publish: inside the handler or save that raised the message, whose trace it
      // carries. No link to make, so the traceparent is parsed only if a span that is not sampled
      // needs it (carriesUnsampled).
      return new Parent(current, null, false, null, metadata, this);
    }
    Context extracted = propagator.extract(current, metadata, GETTER);
    SpanContext origin = carried(extracted, current);
    SpanContext active = Span.fromContext(current).getSpanContext();
    if (active.isValid()) {
      boolean elsewhere = origin.isValid() && !origin.getTraceId().equals(active.getTraceId());
      return new Parent(current, elsewhere ? origin : null, false, origin);
    }
    return fromMessage(current, extracted, origin, created);
  }

  /**
   * Whether {@code current} has a span and the message carries no trace context but one of that
   * span's trace, so that a publish needs no link: told from the W3C {@code traceparent}'s trace id
   * without parsing it. A malformed one that happens to name the trace reads as no context either
   * way, and no link is made for it either way.
   */
  private boolean inTraceOf(Context current, Map<String, String> metadata) {
    if (!w3c) {
      return false;
    }
    SpanContext active = Span.fromContext(current).getSpanContext();
    if (!active.isValid()) {
      return false;
    }
    String traceparent = metadata.get(TRACEPARENT);
    // "vv-<32 hex trace id>-<16 hex span id>-ff"
    return traceparent == null || traceparent.regionMatches(3, active.getTraceId(), 0, 32);
  }

  /**
   * The parent of a span that handles a message: the context the message carries (its sender's),
   * unless the message is an event older than the replay age, which starts a new trace linked to
   * it; the current context where the message carries none (a direct dispatch). {@code created} is
   * {@code null} for a command.
   */
  Parent forHandling(Context current, Map<String, String> metadata, Instant created) {
    Context extracted = propagator.extract(current, metadata, GETTER);
    return fromMessage(current, extracted, carried(extracted, current), created);
  }

  /**
   * The span context the metadata carried: the one extraction put in place of the current span;
   * invalid where it found none (or a bad one) and left the context as it was. One extraction per
   * message, which parses the {@code traceparent}.
   */
  private static SpanContext carried(Context extracted, Context current) {
    Span span = Span.fromContext(extracted);
    return span == Span.fromContext(current) ? SpanContext.getInvalid() : span.getSpanContext();
  }

  private Parent fromMessage(
      Context current, Context extracted, SpanContext origin, Instant created) {
    if (created != null && olderThanReplayAge(created)) {
      return new Parent(Context.root(), origin.isValid() ? origin : null, true, origin);
    }
    if (!origin.isValid()) {
      return new Parent(current, null, false, origin);
    }
    return new Parent(extracted, null, false, origin);
  }

  /**
   * Whether an event created at {@code created} is older than the replay age by the clock: counted
   * in milliseconds, which makes no {@code Instant} and {@code Duration} per message, and to the
   * nanosecond only within the millisecond where the two meet.
   */
  private boolean olderThanReplayAge(Instant created) {
    long age;
    try {
      age = Math.subtractExact(clock.millis(), created.toEpochMilli());
    } catch (ArithmeticException farOff) {
      return created.isBefore(clock.instant());
    }
    if (age != replayAgeMillis) {
      return age > replayAgeMillis;
    }
    return Duration.between(created, clock.instant()).compareTo(replayAge) > 0;
  }

  /**
   * The metadata entries that carry {@code context} (the propagator's fields), to add to a message
   * whose metadata is {@code metadata}. A {@code tracestate} the message has but the new context
   * does not is overwritten with an empty value, so that no stale state rides with the new parent.
   */
  Map<String, String> inject(Context context, Map<String, String> metadata) {
    Fields fields = new Fields();
    propagator.inject(context, fields, SETTER);
    if (fields.size > 0 && !fields.has(TRACESTATE) && metadata.containsKey(TRACESTATE)) {
      fields.set(TRACESTATE, "");
    }
    return fields;
  }

  /**
   * The entries a propagator writes, in pairs in one array, as the map that the message's {@code
   * withMetadata} takes: a propagator writes one to three, and a {@code HashMap} for them was more
   * than the message copy that takes them. Read-only once the propagator is done.
   */
  static final class Fields extends AbstractMap<String, String> {
    private String[] pairs = new String[2]; // a traceparent; grown for a tracestate or baggage
    private int size;

    void set(String key, String value) {
      int i = indexOf(key);
      if (i >= 0) {
        pairs[i + 1] = value;
        return;
      }
      if (2 * size == pairs.length) {
        pairs = Arrays.copyOf(pairs, 2 * pairs.length);
      }
      pairs[2 * size] = key;
      pairs[2 * size + 1] = value;
      size++;
    }

    private int indexOf(Object key) {
      for (int i = 0; i < 2 * size; i += 2) {
        if (pairs[i].equals(key)) {
          return i;
        }
      }
      return -1;
    }

    boolean has(String key) {
      return indexOf(key) >= 0;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public boolean containsKey(Object key) {
      return indexOf(key) >= 0;
    }

    @Override
    public String get(Object key) {
      int i = indexOf(key);
      return i < 0 ? null : pairs[i + 1];
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super String> action) {
      for (int i = 0; i < 2 * size; i += 2) {
        action.accept(pairs[i], pairs[i + 1]);
      }
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
      Set<Entry<String, String>> entries = new LinkedHashSet<>();
      forEach((key, value) -> entries.add(new SimpleImmutableEntry<>(key, value)));
      return Collections.unmodifiableSet(entries);
    }
  }
}
