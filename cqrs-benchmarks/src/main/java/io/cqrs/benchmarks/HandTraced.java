package io.cqrs.benchmarks;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The trace of {@code CqrsTracing} written by hand into the sender and the handlers of {@link
 * ObservabilityBenchmark}'s application, with no interceptor: the same six spans per command
 * ({@code publish Deposit}, {@code process Deposit}, {@code load} and {@code save BenchAccount},
 * {@code publish MoneyDeposited}, {@code process MoneyDeposited}), parented the same way, the W3C
 * context written into the command's and the event's metadata and read back by their handlers, and
 * the same attributes as {@code CqrsTracing} sets ({@code ObservabilityVariantsTest} compares them)
 * but for what only the framework knows: whether a load came from the cache and how many events it
 * read. What the framework adds on top (the handler's command carrying its process span's context,
 * the replay age) is left out too: this is the floor that no tracing on the same SDK can go under.
 */
final class HandTraced {
  private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  private static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  private static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  private static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  private static final AttributeKey<String> MESSAGE_ID =
      AttributeKey.stringKey("messaging.message.id");
  private static final AttributeKey<String> CONVERSATION_ID =
      AttributeKey.stringKey("messaging.message.conversation_id");
  private static final AttributeKey<String> CONSUMER_GROUP =
      AttributeKey.stringKey("messaging.consumer.group.name");
  private static final AttributeKey<String> AGGREGATE_TYPE =
      AttributeKey.stringKey("cqrs.aggregate.type");
  private static final AttributeKey<String> AGGREGATE_ID =
      AttributeKey.stringKey("cqrs.aggregate.id");
  private static final AttributeKey<Long> AGGREGATE_VERSION =
      AttributeKey.longKey("cqrs.aggregate.version");
  private static final AttributeKey<Long> EVENTS = AttributeKey.longKey("cqrs.aggregate.events");
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("cqrs.outcome");
  private static final AttributeKey<String> CAUSATION_ID =
      AttributeKey.stringKey("cqrs.causation_id");
  private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("cqrs.component");
  private static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("cqrs.attempts");
  private static final AttributeKey<Boolean> FOUND =
      AttributeKey.booleanKey("cqrs.aggregate.found");

  /** The component that handles the commands: the application's command service. */
  private static final String SERVICE = "app";

  /** The subscription that handles the events. */
  private static final String SUBSCRIPTION = "deposits";

  private static final String SUCCEEDED = "succeeded";

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private static final TextMapSetter<Map<String, String>> SETTER = Map::put;

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  HandTraced(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("io.cqrs.benchmarks.by-hand");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** Sends {@code command} in a {@code publish} span whose context the command carries. */
  void publish(Cqrs cqrs, Command command) {
    Span span =
        tracer
            .spanBuilder("publish " + command.commandType())
            .setSpanKind(SpanKind.PRODUCER)
            .startSpan();
    message(span, "publish", "send", command.commandType(), command.messageId());
    span.setAttribute(CONVERSATION_ID, command.correlationId());
    try (Scope scope = span.makeCurrent()) {
      cqrs.commandBus().publish(command.withMetadata(inject(Context.current())));
    } finally {
      span.end();
    }
  }

  /** The deposit's handler: load, deposit and save, each in its span, under the command's. */
  void deposit(EventSourcingRepository repository, Deposit deposit, Command command) {
    Context parent = propagator.extract(Context.root(), command.metadata(), GETTER);
    Span process =
        tracer
            .spanBuilder("process " + command.commandType())
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .startSpan();
    message(process, "process", "process", command.commandType(), command.messageId());
    process.setAttribute(CONVERSATION_ID, command.correlationId());
    process.setAttribute(COMPONENT, SERVICE);
    process.setAttribute(CONSUMER_GROUP, SERVICE);
    process.setAttribute(ATTEMPTS, 1L); // a hand-written handler tries once
    try (Scope processing = process.makeCurrent()) {
      BenchAccount account;
      Span load = aggregate("load BenchAccount", deposit.accountId());
      try (Scope loading = load.makeCurrent()) {
        account = repository.get(deposit.accountId(), BenchAccount::new);
        load.setAttribute(FOUND, account.version() > 0);
        load.setAttribute(OUTCOME, SUCCEEDED);
      } finally {
        load.end();
      }
      account.deposit(deposit.amount());
      Span save = aggregate("save BenchAccount", deposit.accountId());
      try (Scope saving = save.makeCurrent()) {
        Span publish =
            tracer.spanBuilder("publish MoneyDeposited").setSpanKind(SpanKind.PRODUCER).startSpan();
        List<VersionedEvent> saved;
        try (Scope publishing = publish.makeCurrent()) {
          // The event carries its publish span's context, as the bus's copy does with CqrsTracing.
          saved = repository.save(account, command.withMetadata(inject(Context.current())));
          VersionedEvent event = saved.get(0);
          message(publish, "publish", "send", event.eventType(), event.id());
          publish.setAttribute(CONVERSATION_ID, event.correlationId());
          publish.setAttribute(AGGREGATE_ID, event.sourceId());
          publish.setAttribute(AGGREGATE_VERSION, event.version());
          publish.setAttribute(CAUSATION_ID, event.causationId());
        } finally {
          publish.end();
        }
        save.setAttribute(CAUSATION_ID, command.messageId());
        save.setAttribute(EVENTS, (long) saved.size());
        save.setAttribute(AGGREGATE_VERSION, saved.get(saved.size() - 1).version());
        save.setAttribute(OUTCOME, SUCCEEDED);
      } finally {
        save.end();
      }
      process.setAttribute(OUTCOME, SUCCEEDED);
    } finally {
      process.end();
    }
  }

  /** The event's handler: {@code then} in a {@code process} span under the event's context. */
  void deposited(VersionedEvent event, Runnable then) {
    Context parent = propagator.extract(Context.root(), event.metadata(), GETTER);
    Span process =
        tracer
            .spanBuilder("process " + event.eventType())
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .startSpan();
    message(process, "process", "process", event.eventType(), event.id());
    process.setAttribute(CONVERSATION_ID, event.correlationId());
    process.setAttribute(CAUSATION_ID, event.causationId());
    process.setAttribute(COMPONENT, SUBSCRIPTION);
    process.setAttribute(CONSUMER_GROUP, SUBSCRIPTION);
    process.setAttribute(ATTEMPTS, 1L);
    process.setAttribute(AGGREGATE_ID, event.sourceId());
    process.setAttribute(AGGREGATE_VERSION, event.version());
    try (Scope scope = process.makeCurrent()) {
      then.run();
      process.setAttribute(OUTCOME, SUCCEEDED);
    } finally {
      process.end();
    }
  }

  private Span aggregate(String name, String id) {
    Span span = tracer.spanBuilder(name).setSpanKind(SpanKind.INTERNAL).startSpan();
    span.setAttribute(AGGREGATE_TYPE, "BenchAccount");
    span.setAttribute(AGGREGATE_ID, id);
    return span;
  }

  private static void message(
      Span span, String operation, String operationType, String destination, String messageId) {
    span.setAttribute(SYSTEM, "cqrs");
    span.setAttribute(OPERATION_NAME, operation);
    span.setAttribute(OPERATION_TYPE, operationType);
    span.setAttribute(DESTINATION, destination);
    span.setAttribute(MESSAGE_ID, messageId);
  }

  private Map<String, String> inject(Context context) {
    Map<String, String> carrier = new HashMap<>(4);
    propagator.inject(context, carrier, SETTER);
    return carrier;
  }
}
