package io.cqrs.micrometer;

import io.cqrs.AggregateCache;
import io.cqrs.EventRelay;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.interceptor.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.function.ToLongFunction;

/**
 * Every meter {@link CqrsMetrics} records, with its name, description and tags: the tables the
 * interceptors record into, and the gauges the {@code bind} methods register. The one place that
 * names meters, so that {@code docs/observability.md} can be checked against it.
 */
final class CqrsMeters {
  static final Outcome[] OUTCOMES = Outcome.values();

  // Slots of the tables' rows: a timer per outcome (by ordinal) first, then the counters.
  static final int RETRIES = OUTCOMES.length;
  static final int APPENDED = OUTCOMES.length;
  static final int LOAD = 0;
  static final int SAVE = OUTCOMES.length;
  static final int HIT = 2 * OUTCOMES.length;
  static final int MISS = HIT + 1;

  private final MeterRegistry registry;
  private final Tags tags;

  /** By service and command type: handled (timers), retries (counter). */
  final MeterTable commands;

  /** By command type: dispatched (timers). */
  final MeterTable commandsDispatched;

  /** By event type: published (timers), appended (counter). */
  final MeterTable events;

  /** By subscription or processor and event type: handled (timers). */
  final MeterTable eventsHandled;

  /** By aggregate type: load and save (timers), cache hit and miss (counters). */
  final MeterTable aggregates;

  CqrsMeters(MeterRegistry registry, Tags tags) {
    this.registry = registry;
    this.tags = tags;
    this.commands = new MeterTable(RETRIES + 1, this::command);
    this.commandsDispatched =
        new MeterTable(
            OUTCOMES.length,
            (component, type, slot) ->
                timer(
                    "cqrs.commands.dispatched",
                    "Commands published, until the command bus accepted them",
                    Tags.of("command", type),
                    slot));
    this.events = new MeterTable(APPENDED + 1, this::event);
    this.eventsHandled =
        new MeterTable(
            OUTCOMES.length,
            (component, type, slot) ->
                timer(
                    "cqrs.events.handled",
                    "Deliveries of events to the handlers of a subscription or processor",
                    Tags.of("event", type, "component", component),
                    slot));
    this.aggregates = new MeterTable(MISS + 1, this::aggregate);
  }

  private Meter command(String component, String type, int slot) {
    if (slot == RETRIES) {
      return counter(
          "cqrs.commands.retries",
          "Handler runs repeated after an optimistic-concurrency conflict",
          Tags.of("command", type));
    }
    return timer(
        "cqrs.commands.handled",
        "Commands handled, conflict retries included",
        Tags.of("command", type, "component", component),
        slot);
  }

  private Meter event(String component, String type, int slot) {
    if (slot == APPENDED) {
      return counter(
          "cqrs.events.appended", "Events committed by aggregate saves", Tags.of("event", type));
    }
    return timer(
        "cqrs.events.published",
        "Events published, until the event bus accepted them",
        Tags.of("event", type),
        slot);
  }

  private Meter aggregate(String component, String type, int slot) {
    Tags aggregate = Tags.of("aggregate", type);
    if (slot == HIT || slot == MISS) {
      return counter(
          "cqrs.aggregate.cache.gets",
          "Aggregate loads that started from the aggregate cache, or not",
          aggregate.and("result", slot == HIT ? "hit" : "miss"));
    }
    if (slot < SAVE) {
      return timer(
          "cqrs.aggregate.load",
          "Aggregates rebuilt from cache, snapshot and events",
          aggregate,
          slot - LOAD);
    }
    return timer(
        "cqrs.aggregate.save",
        "Aggregate saves: commit, snapshot and publication of the events",
        aggregate,
        slot - SAVE);
  }

  /** Registers {@code cqrs.processor.lag} and {@code cqrs.processor.dead.letters}. */
  void processor(TrackingEventProcessor processor) {
    Gauge.builder("cqrs.processor.lag", processor, p -> p.lag().behind())
        .description(
            "How far the processor's lowest checkpoint is behind the log's head: events in"
                + " memory, log sequences on Couchbase")
        .tags(tags)
        .tag("processor", processor.name())
        .register(registry);
    FunctionCounter.builder(
            "cqrs.processor.dead.letters", processor, TrackingEventProcessor::deadLettered)
        .description("Events this process dead-lettered after the handler failed for good")
        .tags(tags)
        .tag("processor", processor.name())
        .register(registry);
  }

  /** Registers {@code cqrs.relay.lag} and {@code cqrs.relay.dead.letters}. */
  void relay(EventRelay relay) {
    Gauge.builder("cqrs.relay.lag", relay, r -> r.lag().behind())
        .description(
            "How far the relay's checkpoint is behind the log's head: events in memory, log"
                + " sequences on Couchbase")
        .tags(tags)
        .tag("relay", relay.name())
        .register(registry);
    FunctionCounter.builder("cqrs.relay.dead.letters", relay, EventRelay::deadLettered)
        .description("Events this process's relay dead-lettered: the bus refused to carry them")
        .tags(tags)
        .tag("relay", relay.name())
        .register(registry);
  }

  /** Registers {@code cqrs.aggregate.cache.size} and {@code cqrs.aggregate.cache.evictions}. */
  void cache(AggregateCache cache) {
    Gauge.builder("cqrs.aggregate.cache.size", cache, c -> c.stats().size())
        .description("Aggregates held by the aggregate cache")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder("cqrs.aggregate.cache.evictions", cache, c -> c.stats().evictions())
        .description("Aggregates dropped from the cache to keep it within its size")
        .tags(tags)
        .register(registry);
  }

  /** Registers {@code cqrs.commands.dead.letters} or {@code cqrs.events.dead.letters}. */
  void deadLetters(String messages, String component, ToLongFunction<String> depth) {
    // Held strongly: the function is often a method reference made for this call alone, which a
    // weakly held gauge would lose at the next garbage collection.
    Gauge.builder("cqrs." + messages + ".dead.letters", depth, d -> d.applyAsLong(component))
        .description("The " + messages + " waiting in a dead-letter queue")
        .tags(tags)
        .tag("component", component)
        .strongReference(true)
        .register(registry);
  }

  private Timer timer(String name, String description, Tags own, int outcome) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .tags(own)
        .tag("outcome", OUTCOMES[outcome].tag())
        .register(registry);
  }

  private Counter counter(String name, String description, Tags own) {
    return Counter.builder(name).description(description).tags(tags).tags(own).register(registry);
  }
}
