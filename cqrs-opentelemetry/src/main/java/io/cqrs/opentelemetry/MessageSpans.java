package io.cqrs.opentelemetry;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.AggregateCall;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts the spans of {@link CqrsTracing}, named {@code <operation> <type>} as the messaging
 * conventions name spans ({@code publish Deposit}, {@code process MoneyDeposited}, {@code save
 * Account}), with the attributes each kind carries.
 */
final class MessageSpans {
  private static final String DIRECT = "direct";

  private final Tracer tracer;
  private final String system;

  // Span names by type, made once: every span of a type has the same name, and building it anew
  // was a string per span. Bounded by the application's registered types.
  private final Names publishNames = new Names(TraceKeys.PUBLISH);
  private final Names processNames = new Names(TraceKeys.PROCESS);
  private final Names loadNames = new Names("load");
  private final Names saveNames = new Names("save");

  MessageSpans(Tracer tracer, String system) {
    this.tracer = tracer;
    this.system = system;
  }

  String system() {
    return system;
  }

  /** A started PRODUCER span of one command sent. */
  Span publish(Command command, TraceContexts.Parent parent) {
    Span span = message(TraceKeys.PUBLISH, command.commandType(), SpanKind.PRODUCER, parent);
    return describe(span, TraceKeys.PUBLISH, command, null, parent);
  }

  /** A started CONSUMER span of one command handled by {@code component}. */
  Span process(Command command, TraceContexts.Parent parent, String component) {
    Span span = message(TraceKeys.PROCESS, command.commandType(), SpanKind.CONSUMER, parent);
    return describe(span, TraceKeys.PROCESS, command, component, parent);
  }

  /** A started PRODUCER span of one event published. */
  Span publish(VersionedEvent event, TraceContexts.Parent parent) {
    Span span = message(TraceKeys.PUBLISH, event.eventType(), SpanKind.PRODUCER, parent);
    return describe(span, TraceKeys.PUBLISH, event, null, parent);
  }

  /** A started CONSUMER span of one event handled by {@code component}. */
  Span process(VersionedEvent event, TraceContexts.Parent parent, String component) {
    Span span = message(TraceKeys.PROCESS, event.eventType(), SpanKind.CONSUMER, parent);
    return describe(span, TraceKeys.PROCESS, event, component, parent);
  }

  /** A started INTERNAL span of a load or save, a child of the current span. */
  Span aggregate(AggregateCall call) {
    Span span =
        tracer
            .spanBuilder(
                (call.kind() == AggregateCall.Kind.LOAD ? loadNames : saveNames)
                    .of(call.aggregateType()))
            .setSpanKind(SpanKind.INTERNAL)
            .startSpan();
    if (span.isRecording()) {
      span.setAttribute(TraceKeys.AGGREGATE_TYPE, call.aggregateType());
      span.setAttribute(TraceKeys.AGGREGATE_ID, call.aggregateId());
      if (call.cause() != null) {
        span.setAttribute(TraceKeys.CAUSATION_ID, call.cause().messageId());
      }
    }
    return span;
  }

  /** Records what a load or save did, once it has. */
  static void aggregateResult(Span span, AggregateCall call) {
    if (!span.isRecording()) {
      return;
    }
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

  /**
   * The attributes of one command, on a span that records: set after the sampler decided (which
   * sees the span's name and kind), so that a span not sampled costs no attribute map (the SDK
   * makes one for a builder's first attribute, sampled or not).
   */
  private Span describe(
      Span span, String operation, Command command, String component, TraceContexts.Parent parent) {
    if (span.isRecording()) {
      messaging(span, operation, command.commandType(), parent);
      span.setAttribute(TraceKeys.MESSAGE_ID, command.messageId());
      span.setAttribute(TraceKeys.CONVERSATION_ID, command.correlationId());
      if (command.causationId() != null) {
        span.setAttribute(TraceKeys.CAUSATION_ID, command.causationId());
      }
      component(span, component);
    }
    return span;
  }

  /** The attributes of one event, on a span that records (see the command's). */
  private Span describe(
      Span span,
      String operation,
      VersionedEvent event,
      String component,
      TraceContexts.Parent parent) {
    if (span.isRecording()) {
      messaging(span, operation, event.eventType(), parent);
      span.setAttribute(TraceKeys.MESSAGE_ID, event.id());
      span.setAttribute(TraceKeys.CONVERSATION_ID, event.correlationId());
      span.setAttribute(TraceKeys.AGGREGATE_ID, event.sourceId());
      span.setAttribute(TraceKeys.AGGREGATE_VERSION, event.version());
      if (event.causationId() != null) {
        span.setAttribute(TraceKeys.CAUSATION_ID, event.causationId());
      }
      component(span, component);
    }
    return span;
  }

  /** A started span of one message, a child of (or linked to) {@code parent}. */
  private Span message(String operation, String type, SpanKind kind, TraceContexts.Parent parent) {
    Names names = TraceKeys.PUBLISH.equals(operation) ? publishNames : processNames;
    SpanBuilder builder =
        tracer.spanBuilder(names.of(type)).setSpanKind(kind).setParent(parent.context());
    if (parent.link() != null) {
      builder.addLink(parent.link());
    }
    return builder.startSpan();
  }

  /** The messaging conventions' attributes of a message span. */
  private void messaging(Span span, String operation, String type, TraceContexts.Parent parent) {
    span.setAttribute(TraceKeys.MESSAGING_SYSTEM, system);
    span.setAttribute(TraceKeys.OPERATION_NAME, operation);
    span.setAttribute(
        TraceKeys.OPERATION_TYPE,
        TraceKeys.PUBLISH.equals(operation) ? TraceKeys.SEND : TraceKeys.PROCESS);
    span.setAttribute(TraceKeys.DESTINATION, type);
    if (parent.replay()) {
      span.setAttribute(TraceKeys.REPLAY, true);
    }
  }

  private static void component(Span span, String component) {
    if (component == null) {
      return;
    }
    span.setAttribute(TraceKeys.COMPONENT, component);
    // The subscription, processor or service is the consumer group its instances compete in; a
    // direct dispatch has none.
    if (!DIRECT.equals(component)) {
      span.setAttribute(TraceKeys.CONSUMER_GROUP, component);
    }
  }

  /** The names {@code <operation> <type>} of one operation's spans, by type. */
  private static final class Names {
    private final String prefix;
    private final ConcurrentHashMap<String, String> byType = new ConcurrentHashMap<>();

    Names(String operation) {
      this.prefix = operation + " ";
    }

    String of(String type) {
      String name = byType.get(type);
      if (name == null) {
        name = prefix + type;
        byType.putIfAbsent(type, name);
      }
      return name;
    }
  }
}
