package io.cqrs.opentelemetry;

import io.cqrs.MetadataKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads and writes trace contexts in message metadata with the application's propagator (W3C {@code
 * traceparent}/{@code tracestate} under the SDK's defaults), and decides what a new span's parent
 * is. The propagator ignores a value it cannot parse (a forged or truncated {@code traceparent}),
 * so such metadata reads as "no context" and never fails a message.
 */
final class TraceContexts {
  private static final String TRACESTATE = MetadataKey.TRACESTATE.name();

  private static final TextMapGetter<Map<String, String>> GETTER =
      (carrier, key) -> carrier == null ? null : carrier.get(key);

  private static final TextMapSetter<Map<String, String>> SETTER =
      (carrier, key, value) -> {
        if (carrier != null && key != null && !key.isBlank() && value != null) {
          carrier.put(key, value);
        }
      };

  /**
   * A new span's parent context, and the context it links to instead where it starts a trace of its
   * own; {@code replay} when the message is older than the replay age.
   */
  record Parent(Context context, SpanContext link, boolean replay, SpanContext carried) {
    /**
     * Whether a message may go on with the context it carries instead of a copy naming {@code
     * span}: {@code span} records nothing and the message already carries its trace, not sampled
     * either, so whoever reads it next decides the same and the copy would change nothing seen.
     */
    boolean carriesUnsampled(Span span) {
      return !span.isRecording()
          && carried.isValid()
          && !carried.isSampled()
          && carried.getTraceId().equals(span.getSpanContext().getTraceId());
    }
  }

  private final TextMapPropagator propagator;
  private final Duration replayAge;

  TraceContexts(TextMapPropagator propagator, Duration replayAge) {
    this.propagator = propagator;
    this.replayAge = replayAge;
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
  Parent forPublish(Context current, Map<String, String> metadata, Instant created, Instant now) {
    Context extracted = propagator.extract(current, metadata, GETTER);
    SpanContext origin = carried(extracted, current);
    SpanContext active = Span.fromContext(current).getSpanContext();
    if (active.isValid()) {
      boolean elsewhere = origin.isValid() && !origin.getTraceId().equals(active.getTraceId());
      return new Parent(current, elsewhere ? origin : null, false, origin);
    }
    return fromMessage(current, extracted, origin, created, now);
  }

  /**
   * The parent of a span that handles a message: the context the message carries (its sender's),
   * unless the message is an event older than the replay age, which starts a new trace linked to
   * it; the current context where the message carries none (a direct dispatch). {@code created} is
   * {@code null} for a command.
   */
  Parent forHandling(Context current, Map<String, String> metadata, Instant created, Instant now) {
    Context extracted = propagator.extract(current, metadata, GETTER);
    return fromMessage(current, extracted, carried(extracted, current), created, now);
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
      Context current, Context extracted, SpanContext origin, Instant created, Instant now) {
    if (created != null && Duration.between(created, now).compareTo(replayAge) > 0) {
      return new Parent(Context.root(), origin.isValid() ? origin : null, true, origin);
    }
    if (!origin.isValid()) {
      return new Parent(current, null, false, origin);
    }
    return new Parent(extracted, null, false, origin);
  }

  /**
   * The metadata entries that carry {@code context} (the propagator's fields), to add to a message
   * whose metadata is {@code metadata}. A {@code tracestate} the message has but the new context
   * does not is overwritten with an empty value, so that no stale state rides with the new parent.
   */
  Map<String, String> inject(Context context, Map<String, String> metadata) {
    Map<String, String> fields = new HashMap<>(4);
    propagator.inject(context, fields, SETTER);
    if (!fields.isEmpty() && !fields.containsKey(TRACESTATE) && metadata.containsKey(TRACESTATE)) {
      fields.put(TRACESTATE, "");
    }
    return fields;
  }
}
