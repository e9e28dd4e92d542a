package io.cqrs.opentelemetry;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.AggregateCall;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import java.util.List;
import java.util.Locale;

/**
 * Starts the spans of {@link CqrsTracing}, named {@code <operation> <type>} as the messaging
 * conventions name spans ({@code publish Deposit}, {@code process MoneyDeposited}, {@code save
 * Account}), with the attributes each kind carries.
 */
final class MessageSpans {
  private static final String DIRECT = "direct";

  private final Tracer tracer;
  private final String system;

  MessageSpans(Tracer tracer, String system) {
    this.tracer = tracer;
    this.system = system;
  }

  String system() {
    return system;
  }

  /** A started PRODUCER span of one command sent. */
  Span publish(Command command, TraceContexts.Parent parent) {
    return command(TraceKeys.PUBLISH, command, SpanKind.PRODUCER, parent)
        .setAttribute(TraceKeys.OPERATION_TYPE, TraceKeys.SEND)
        .startSpan();
  }

  /** A started CONSUMER span of one command handled by {@code component}. */
  Span process(Command command, TraceContexts.Parent parent, String component) {
    return component(
            command(TraceKeys.PROCESS, command, SpanKind.CONSUMER, parent)
                .setAttribute(TraceKeys.OPERATION_TYPE, TraceKeys.PROCESS),
            component)
        .startSpan();
  }

  /** A started PRODUCER span of one event published. */
  Span publish(VersionedEvent event, TraceContexts.Parent parent) {
    return event(TraceKeys.PUBLISH, event, SpanKind.PRODUCER, parent)
        .setAttribute(TraceKeys.OPERATION_TYPE, TraceKeys.SEND)
        .startSpan();
  }

  /** A started CONSUMER span of one event handled by {@code component}. */
  Span process(VersionedEvent event, TraceContexts.Parent parent, String component) {
    return component(
            event(TraceKeys.PROCESS, event, SpanKind.CONSUMER, parent)
                .setAttribute(TraceKeys.OPERATION_TYPE, TraceKeys.PROCESS),
            component)
        .startSpan();
  }

  /** A started INTERNAL span of a load or save, a child of the current span. */
  Span aggregate(AggregateCall call) {
    SpanBuilder builder =
        tracer
            .spanBuilder(call.kind().name().toLowerCase(Locale.ROOT) + " " + call.aggregateType())
            .setSpanKind(SpanKind.INTERNAL)
            .setAttribute(TraceKeys.AGGREGATE_ID, call.aggregateId())
            .setAttribute(TraceKeys.AGGREGATE_TYPE, call.aggregateType());
    if (call.cause() != null) {
      builder.setAttribute(TraceKeys.CAUSATION_ID, call.cause().messageId());
    }
    return builder.startSpan();
  }

  /** Records what a load or save did, once it has. */
  static void aggregateResult(Span span, AggregateCall call) {
    List<VersionedEvent> events = call.events();
    span.setAttribute(TraceKeys.EVENT_COUNT, (long) events.size());
    if (!events.isEmpty()) {
      span.setAttribute(TraceKeys.AGGREGATE_VERSION, events.get(events.size() - 1).version());
    }
    if (call.kind() == AggregateCall.Kind.LOAD) {
      span.setAttribute(TraceKeys.FOUND, call.found());
      span.setAttribute(TraceKeys.FROM_CACHE, call.fromCache());
    }
  }

  private SpanBuilder command(
      String operation, Command command, SpanKind kind, TraceContexts.Parent parent) {
    SpanBuilder builder =
        message(operation, command.commandType(), kind, parent)
            .setAttribute(TraceKeys.MESSAGE_ID, command.messageId())
            .setAttribute(TraceKeys.CONVERSATION_ID, command.correlationId());
    if (command.causationId() != null) {
      builder.setAttribute(TraceKeys.CAUSATION_ID, command.causationId());
    }
    return builder;
  }

  private SpanBuilder event(
      String operation, VersionedEvent event, SpanKind kind, TraceContexts.Parent parent) {
    SpanBuilder builder =
        message(operation, event.eventType(), kind, parent)
            .setAttribute(TraceKeys.MESSAGE_ID, event.id())
            .setAttribute(TraceKeys.CONVERSATION_ID, event.correlationId())
            .setAttribute(TraceKeys.AGGREGATE_ID, event.sourceId())
            .setAttribute(TraceKeys.AGGREGATE_VERSION, event.version());
    if (event.causationId() != null) {
      builder.setAttribute(TraceKeys.CAUSATION_ID, event.causationId());
    }
    return builder;
  }

  private SpanBuilder message(
      String operation, String type, SpanKind kind, TraceContexts.Parent parent) {
    SpanBuilder builder =
        tracer
            .spanBuilder(operation + " " + type)
            .setSpanKind(kind)
            .setParent(parent.context())
            .setAttribute(TraceKeys.MESSAGING_SYSTEM, system)
            .setAttribute(TraceKeys.OPERATION_NAME, operation)
            .setAttribute(TraceKeys.DESTINATION, type);
    if (parent.link() != null) {
      builder.addLink(parent.link());
    }
    if (parent.replay()) {
      builder.setAttribute(TraceKeys.REPLAY, true);
    }
    return builder;
  }

  private static SpanBuilder component(SpanBuilder builder, String component) {
    builder.setAttribute(TraceKeys.COMPONENT, component);
    // The subscription, processor or service is the consumer group its instances compete in; a
    // direct dispatch has none.
    if (!DIRECT.equals(component)) {
      builder.setAttribute(TraceKeys.CONSUMER_GROUP, component);
    }
    return builder;
  }
}
