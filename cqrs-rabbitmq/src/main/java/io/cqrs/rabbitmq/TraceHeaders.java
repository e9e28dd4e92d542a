package io.cqrs.rabbitmq;

import io.cqrs.Command;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries the W3C trace context of a message's metadata ({@link MetadataKey#TRACEPARENT}, {@link
 * MetadataKey#TRACESTATE}) in AMQP headers of the same names as well, where tracing tools that read
 * the broker look for it, and takes it back from there on consume. A header that is not a valid
 * trace context (a forged or oversized one) is ignored; a valid one wins over the body's copy, and
 * a {@code tracestate} the body has but the winning header does not is blanked. A header whose
 * context does not fit in the body's metadata (one at {@link MetadataKey}'s limits) is ignored too.
 */
final class TraceHeaders {
  private static final Logger log = LoggerFactory.getLogger(TraceHeaders.class);
  private static final String TRACEPARENT = MetadataKey.TRACEPARENT.name();
  private static final String TRACESTATE = MetadataKey.TRACESTATE.name();

  /**
   * A W3C {@code traceparent} a propagator reads as a context: of the shape, and not version {@code
   * ff} (forbidden) nor an all-zero trace or parent id (invalid). One that only had the shape would
   * replace the body's valid context with "no context".
   */
  private static final Pattern PARENT =
      Pattern.compile("(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

  private static final Pattern STATE = Pattern.compile("[\\x20-\\x7e]{1,512}");

  private TraceHeaders() {}

  /** {@code headers} plus the trace context of {@code metadata}; {@code headers} if none. */
  static Map<String, Object> withTrace(Map<String, String> metadata, Map<String, Object> headers) {
    String parent = metadata.get(TRACEPARENT);
    if (parent == null) {
      return headers;
    }
    Map<String, Object> all = new HashMap<>(headers == null ? 4 : headers.size() + 2);
    if (headers != null) {
      all.putAll(headers);
    }
    all.put(TRACEPARENT, parent);
    String state = metadata.get(TRACESTATE);
    if (state != null && !state.isEmpty()) {
      all.put(TRACESTATE, state);
    }
    return all;
  }

  static VersionedEvent onto(VersionedEvent event, Inbound delivery) {
    Map<String, String> trace = trace(delivery, event.metadata());
    return trace == null ? event : event.withMetadata(trace);
  }

  static Command onto(Command command, Inbound delivery) {
    Map<String, String> trace = trace(delivery, command.metadata());
    return trace == null ? command : command.withMetadata(trace);
  }

  /**
   * The headers' trace context where it is valid, not what the body has, and fits in the body's
   * metadata; else null. A body whose metadata is at {@link MetadataKey}'s limits is a legal
   * message, and a trace header beside it (one a tracing agent added, say) must not make it one
   * that fails to decode, is dead-lettered as malformed, and fails again on every replay, which
   * keeps the headers: such a message keeps the body's metadata, and whatever trace that carries.
   */
  private static Map<String, String> trace(Inbound delivery, Map<String, String> metadata) {
    Map<String, String> trace = headerTrace(delivery, metadata);
    if (trace == null || MetadataKey.fits(metadata, trace)) {
      return trace;
    }
    log.debug(
        "{}: the trace context of its headers does not fit in its metadata ({} entries); it keeps"
            + " the body's",
        delivery.describe(),
        metadata.size());
    return null;
  }

  /** The headers' trace context where it is valid and not what the body has; else null. */
  private static Map<String, String> headerTrace(Inbound delivery, Map<String, String> metadata) {
    String parent = text(delivery.header(TRACEPARENT));
    if (parent == null || !PARENT.matcher(parent).matches()) {
      return null;
    }
    String state = text(delivery.header(TRACESTATE));
    if (state != null && !STATE.matcher(state).matches()) {
      state = null;
    }
    if (parent.equals(metadata.get(TRACEPARENT))
        && (state == null || state.equals(metadata.get(TRACESTATE)))) {
      return null;
    }
    if (state == null && !metadata.containsKey(TRACESTATE)) {
      return Map.of(TRACEPARENT, parent);
    }
    // A new parent without a state of its own must not keep the body's: that belongs to another.
    return Map.of(TRACEPARENT, parent, TRACESTATE, state == null ? "" : state);
  }

  private static String text(Object header) {
    if (header == null) {
      return null;
    }
    String text =
        header instanceof byte[] bytes
            ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
            : header.toString();
    return text.length() > 600 ? null : text;
  }
}
