package io.cqrs.opentelemetry;

import io.cqrs.Command;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import io.cqrs.interceptor.CommandDispatchInterceptor;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.Dispatch;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.EventPublishInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.Outcome;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing of commands, events and aggregates: one interceptor that takes part in
 * every chain, so that the whole setup is one line.
 *
 * <pre>{@code
 * OpenTelemetry otel = AutoConfiguredOpenTelemetrySdk.initialize().getOpenTelemetrySdk();
 * Cqrs cqrs = Cqrs.builder().interceptors(CqrsTracing.of(otel)) ... .build();
 * }</pre>
 *
 * <p>Spans, named as OpenTelemetry's messaging conventions name them ({@code <operation>
 * <destination>}, the destination being the message's logical type, which the buses route by):
 *
 * <ul>
 *   <li>{@code publish <CommandType>}, PRODUCER, one per command sent; its context is written into
 *       the command's metadata ({@code traceparent}, {@code tracestate}), which the RabbitMQ bus
 *       also sends as AMQP headers;
 *   <li>{@code process <CommandType>}, CONSUMER, around the command's handler, a child of the
 *       context the command carries; the handler gets the command with this span's context in its
 *       metadata, so the events it saves carry it;
 *   <li>{@code load <AggregateType>} and {@code save <AggregateType>}, INTERNAL, children of the
 *       current span;
 *   <li>{@code publish <EventType>}, PRODUCER, one per event published; a child of the current span
 *       (the save), else of the context the event carries (the relay's case);
 *   <li>{@code process <EventType>}, CONSUMER, around the handlers of a subscription or processor,
 *       a child of the context the event carries; an event older than {@link
 *       Builder#replayAge(Duration) the replay age} starts a new trace linked to it instead. The
 *       handlers get the event with this span's context in its metadata, so the commands a process
 *       manager sends with {@link Command#reactingTo} continue the trace.
 * </ul>
 *
 * <p>Each handling span is current while the handler runs, so spans the handler starts nest under
 * it. A failure sets status ERROR and records the exception; {@code cqrs.outcome} holds the {@link
 * Outcome#tag() outcome}. Metadata that holds no valid trace context (a forged {@code traceparent})
 * is ignored by the propagator and never fails a message; nor does metadata at {@link
 * MetadataKey}'s limits, which has no room for the context: that message goes on as it is,
 * untraced. See {@code docs/observability.md} for the attributes.
 *
 * <p>Immutable and thread-safe; one instance serves every component of an application.
 */
public final class CqrsTracing
    implements CommandDispatchInterceptor,
        CommandHandlerInterceptor,
        EventPublishInterceptor,
        EventHandlerInterceptor,
        AggregateInterceptor {

  /** The instrumentation scope of every span: this module's root package. */
  public static final String INSTRUMENTATION_NAME = "io.cqrs.opentelemetry";

  /** The default {@link Builder#replayAge}, as Axon's time limit for joining a trace. */
  public static final Duration DEFAULT_REPLAY_AGE = Duration.ofMinutes(2);

  private static final Logger log = LoggerFactory.getLogger(CqrsTracing.class);

  private final MessageSpans spans;
  private final TraceContexts contexts;

  /**
   * Whether a message has gone on without its trace context for want of room (see {@link
   * #untraced}).
   */
  private final AtomicBoolean warnedUntraced = new AtomicBoolean();

  private CqrsTracing(Builder builder) {
    this.spans =
        new MessageSpans(
            builder.openTelemetry.getTracer(INSTRUMENTATION_NAME), builder.messagingSystem);
    this.contexts =
        new TraceContexts(
            builder.openTelemetry.getPropagators().getTextMapPropagator(),
            builder.replayAge,
            builder.clock);
  }

  /** Tracing with the default settings through {@code openTelemetry}'s tracer and propagators. */
  public static CqrsTracing of(OpenTelemetry openTelemetry) {
    return builder(openTelemetry).build();
  }

  /**
   * A builder of tracing through {@code openTelemetry}'s tracer provider and text-map propagator
   * (give it the W3C trace-context propagator, which the SDK's autoconfiguration sets by default,
   * for {@code traceparent} to reach the metadata).
   */
  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(openTelemetry);
  }

  /**
   * Starts a PRODUCER span per command, writes its context into a copy of the command's metadata
   * and publishes the copies; the spans end when the bus has accepted the commands, failed if it
   * did not.
   */
  @Override
  public CompletableFuture<Void> interceptDispatch(Dispatch<Command> dispatch) {
    return publish(
        dispatch, Command::metadata, command -> null, spans::publish, Command::withMetadata);
  }

  /**
   * Starts a PRODUCER span per event, a child of the current span or else of the context the event
   * carries, writes its context into a copy of the event's metadata (on the bus only: the stored
   * event keeps its own) and publishes the copies.
   */
  @Override
  public CompletableFuture<Void> interceptPublish(Dispatch<VersionedEvent> dispatch) {
    return publish(
        dispatch,
        VersionedEvent::metadata,
        VersionedEvent::created,
        spans::publish,
        VersionedEvent::withMetadata);
  }

  /**
   * Runs the command's handling in a CONSUMER span, a child of the context the command carries (or
   * of the current one, for a command without any), current while the handler runs; the handler
   * gets the command with this span's context in its metadata.
   */
  @Override
  public Outcome interceptCommand(Handling<Command> handling) throws Exception {
    Command command = handling.message();
    TraceContexts.Parent parent = contexts.forHandling(Context.current(), command.metadata(), null);
    return handle(
        handling,
        spans.process(command, parent, handling.component()),
        parent,
        command.metadata(),
        Command::withMetadata);
  }

  /**
   * Runs the event's handling in a CONSUMER span, current while the handlers run: a child of the
   * context the event carries, or, for an event older than the replay age, the root of a new trace
   * linked to that context ({@code cqrs.replay=true}). The handlers get the event with this span's
   * context in its metadata.
   */
  @Override
  public Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception {
    VersionedEvent event = handling.message();
    TraceContexts.Parent parent =
        contexts.forHandling(Context.current(), event.metadata(), event.created());
    return handle(
        handling,
        spans.process(event, parent, handling.component()),
        parent,
        event.metadata(),
        VersionedEvent::withMetadata);
  }

  /**
   * Runs a load or save in an INTERNAL span ({@code load <AggregateType>}, {@code save
   * <AggregateType>}), a child of the current span and current itself while the repository works,
   * so the publication of a save's events nests under it.
   */
  @Override
  public void interceptAggregate(AggregateCall call) {
    Span span = spans.aggregate(call);
    Scope scope = span.makeCurrent();
    try {
      call.proceed();
      MessageSpans.aggregateResult(span, call);
      SpanOutcomes.outcome(span, Outcome.SUCCEEDED);
    } catch (RuntimeException | Error failure) {
      SpanOutcomes.thrown(span, failure);
      throw failure;
    } finally {
      scope.close();
      span.end();
    }
  }

  /**
   * Runs a handling in {@code span}, current while the handler runs, which gets the message
   * {@linkplain #carrying carrying} the span's context.
   */
  private <M> Outcome handle(
      Handling<M> handling,
      Span span,
      TraceContexts.Parent parent,
      Map<String, String> metadata,
      BiFunction<M, Map<String, String>, M> withMetadata)
      throws Exception {
    Context context = parent.context().with(span);
    M traced;
    try {
      traced = carrying(handling.message(), metadata, context, span, parent, withMetadata);
    } catch (RuntimeException failure) {
      SpanOutcomes.thrown(span, failure);
      span.end();
      throw failure;
    }
    Scope scope = context.makeCurrent();
    CompletionStage<?> pending = null;
    try {
      Outcome outcome = handling.proceed(traced);
      pending = handling.pending();
      if (pending != null) {
        // Before the stage can end the span (at once, where it is complete already, or on the
        // thread that completes it): an attribute set on an ended span is dropped.
        span.setAttribute(TraceKeys.ATTEMPTS, (long) handling.attempts());
      }
      if (pending == null) {
        SpanOutcomes.outcome(span, outcome);
      } else {
        // An asynchronous handler's work: the span ends, and fails, with its stage.
        pending.whenComplete(
            (result, failure) -> {
              if (failure == null) {
                SpanOutcomes.outcome(span, outcome);
              } else {
                SpanOutcomes.thrown(
                    span,
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure);
              }
              span.end();
            });
      }
      return outcome;
    } catch (Throwable failure) {
      SpanOutcomes.thrown(span, failure);
      throw failure;
    } finally {
      scope.close();
      if (pending == null) {
        span.setAttribute(TraceKeys.ATTEMPTS, (long) handling.attempts());
        span.end();
      }
    }
  }

  /**
   * Starts a PRODUCER span per message and publishes the messages {@linkplain #carrying carrying}
   * their spans' contexts; the spans end when the bus has accepted the messages, failed if it did
   * not.
   */
  private <M> CompletableFuture<Void> publish(
      Dispatch<M> dispatch,
      Function<M, Map<String, String>> metadata,
      Function<M, Instant> created,
      BiFunction<M, TraceContexts.Parent, Span> start,
      BiFunction<M, Map<String, String>, M> withMetadata) {
    Context current = Context.current();
    List<M> messages = dispatch.messages();
    if (messages.size() == 1) {
      return publishOne(dispatch, messages.get(0), current, metadata, created, start, withMetadata);
    }
    List<M> traced = new ArrayList<>(messages.size());
    List<Span> started = new ArrayList<>(messages.size());
    try {
      for (M message : messages) {
        TraceContexts.Parent parent =
            contexts.forPublish(current, metadata.apply(message), created.apply(message));
        Span span = start.apply(message, parent);
        started.add(span);
        traced.add(
            carrying(
                message,
                metadata.apply(message),
                parent.context().with(span),
                span,
                parent,
                withMetadata));
      }
    } catch (RuntimeException | Error failure) {
      SpanOutcomes.endFailed(started, failure);
      throw failure;
    }
    // One message: its span is current while the bus sends, so a transport's own instrumentation
    // nests under it. Several: none of them can be; the caller's context stays.
    Scope scope = started.size() == 1 ? started.get(0).makeCurrent() : Scope.noop();
    CompletableFuture<Void> sent;
    try {
      sent = dispatch.proceed(traced);
    } catch (RuntimeException | Error failure) {
      scope.close();
      SpanOutcomes.endFailed(started, failure);
      throw failure;
    }
    scope.close();
    return SpanOutcomes.endWhenSent(sent, started);
  }

  /**
   * {@link #publish} of a call with one message, the usual case: without the lists of several, and
   * with its span current while the bus sends, so a transport's own instrumentation nests under it.
   */
  private <M> CompletableFuture<Void> publishOne(
      Dispatch<M> dispatch,
      M message,
      Context current,
      Function<M, Map<String, String>> metadata,
      Function<M, Instant> created,
      BiFunction<M, TraceContexts.Parent, Span> start,
      BiFunction<M, Map<String, String>, M> withMetadata) {
    Span span = null;
    M traced;
    try {
      Map<String, String> carried = metadata.apply(message);
      TraceContexts.Parent parent = contexts.forPublish(current, carried, created.apply(message));
      span = start.apply(message, parent);
      traced = carrying(message, carried, parent.context().with(span), span, parent, withMetadata);
    } catch (RuntimeException | Error failure) {
      if (span != null) {
        SpanOutcomes.endFailed(List.of(span), failure);
      }
      throw failure;
    }
    List<Span> started = List.of(span);
    CompletableFuture<Void> sent;
    try (Scope scope = span.makeCurrent()) {
      sent = dispatch.proceed(List.of(traced));
    } catch (RuntimeException | Error failure) {
      SpanOutcomes.endFailed(started, failure);
      throw failure;
    }
    return SpanOutcomes.endWhenSent(sent, started);
  }

  /**
   * The message as it goes on from {@code span}: a copy with {@code context} in its metadata, or
   * the message itself where it already carries its trace, not sampled (see {@link
   * TraceContexts.Parent#carriesUnsampled}), or where the context does not fit in its metadata.
   *
   * <p>A message whose sender filled its metadata to {@link MetadataKey}'s limits is legal, and one
   * without a trace context is common (an untraced client, a service not yet upgraded, a save
   * outside a handler): the copy with a {@code traceparent} added would be refused, failing a
   * handling, a publish or the relay over what tracing alone added. Such a message goes on as it
   * is, untraced or with the context it already carries; only the trace loses a link.
   */
  private <M> M carrying(
      M message,
      Map<String, String> metadata,
      Context context,
      Span span,
      TraceContexts.Parent parent,
      BiFunction<M, Map<String, String>, M> withMetadata) {
    if (parent.carriesUnsampled(span)) {
      return message;
    }
    Map<String, String> trace = contexts.inject(context, metadata);
    if (trace.isEmpty()) {
      return message;
    }
    if (!MetadataKey.fits(metadata, trace)) {
      untraced(message, metadata);
      return message;
    }
    return withMetadata.apply(message, trace);
  }

  /**
   * Logs a message that went on without its span's context: the first at WARN, so that whoever
   * turned tracing on learns why some traces break off, and the rest at DEBUG, since a sender that
   * fills its metadata does so for every message and a line each would bury the log.
   */
  private void untraced(Object message, Map<String, String> metadata) {
    boolean first = !warnedUntraced.get() && warnedUntraced.compareAndSet(false, true);
    if (!first && !log.isDebugEnabled()) {
      return;
    }
    long characters = 0;
    for (Map.Entry<String, String> entry : metadata.entrySet()) {
      characters += entry.getKey().length() + entry.getValue().length();
    }
    String text =
        describe(message)
            + " has no room in its metadata for its span's trace context ("
            + metadata.size()
            + " entries of "
            + characters
            + " characters; at most "
            + MetadataKey.MAX_ENTRIES
            + " and "
            + MetadataKey.MAX_TOTAL_LENGTH
            + "): it goes on without it, and what it causes is not joined to this span";
    if (first) {
      log.warn("{}. Logged once; later such messages at DEBUG", text);
    } else {
      log.debug(text);
    }
  }

  private static String describe(Object message) {
    if (message instanceof Command command) {
      return "Command " + command.messageId() + " (" + command.commandType() + ")";
    }
    if (message instanceof VersionedEvent event) {
      return "Event " + event.id() + " (" + event.eventType() + ")";
    }
    return String.valueOf(message);
  }

  @Override
  public String toString() {
    return "CqrsTracing[messagingSystem="
        + spans.system()
        + ", replayAge="
        + contexts.replayAge()
        + "]";
  }

  /** Builds a {@link CqrsTracing}; every setting is optional. */
  public static final class Builder {
    private final OpenTelemetry openTelemetry;
    private Duration replayAge = DEFAULT_REPLAY_AGE;
    private String messagingSystem = "cqrs";
    private Clock clock = Clock.systemUTC();

    private Builder(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    }

    /**
     * How old an event may be and still be handled, or published, in the trace it carries (default
     * {@link #DEFAULT_REPLAY_AGE}, two minutes). An older one (a tracking processor catching up or
     * rebuilding a read model, the relay sending what a crash held back) gets a span that starts a
     * new trace with a link to the one the event carries, and {@code cqrs.replay=true}, so that
     * replays do not stretch old traces over hours or days. The age is measured from the event's
     * {@link VersionedEvent#created()}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder replayAge(Duration replayAge) {
      Objects.requireNonNull(replayAge, "replayAge");
      if (replayAge.isNegative()) {
        throw new IllegalArgumentException("replayAge must not be negative, was " + replayAge);
      }
      this.replayAge = replayAge;
      return this;
    }

    /**
     * The {@code messaging.system} attribute of message spans (default {@code cqrs}); e.g. {@code
     * rabbitmq} where every bus of the application is a RabbitMQ bus.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder messagingSystem(String messagingSystem) {
      Objects.requireNonNull(messagingSystem, "messagingSystem");
      if (messagingSystem.isBlank()) {
        throw new IllegalArgumentException("messagingSystem must not be blank");
      }
      this.messagingSystem = messagingSystem;
      return this;
    }

    /** The clock that the replay age is measured with (default the system's, in UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The tracing interceptor. */
    public CqrsTracing build() {
      return new CqrsTracing(this);
    }
  }
}
