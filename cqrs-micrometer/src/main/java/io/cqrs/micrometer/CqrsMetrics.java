package io.cqrs.micrometer;

import static io.cqrs.micrometer.CqrsMeters.APPENDED;
import static io.cqrs.micrometer.CqrsMeters.HIT;
import static io.cqrs.micrometer.CqrsMeters.LOAD;
import static io.cqrs.micrometer.CqrsMeters.MISS;
import static io.cqrs.micrometer.CqrsMeters.RETRIES;
import static io.cqrs.micrometer.CqrsMeters.SAVE;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventRelay;
import io.cqrs.TrackingEventProcessor;
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
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Micrometer metrics of a cqrs application: an interceptor of every kind, so that
 *
 * <pre>{@code
 * CqrsMetrics metrics = CqrsMetrics.of(registry);
 * Cqrs cqrs = Cqrs.builder().interceptors(metrics)...build();
 * metrics.bind(cqrs); // gauges: processor lag, relay lag, aggregate cache size
 * }</pre>
 *
 * <p>times every command sent and handled, every event published and handled and every aggregate
 * loaded and saved, tagged by logical type ({@code command}, {@code event}, {@code aggregate}), by
 * {@code outcome} ({@link Outcome#tag()}: {@code succeeded}, {@code duplicate}, {@code rejected},
 * {@code conflict}, {@code failed}) and, where a handler runs, by {@code component} (the service,
 * subscription or processor; {@code direct} for a direct dispatch). It counts conflict retries,
 * events appended and aggregate cache hits and misses. The {@code bind} methods add gauges that
 * read a processor's or the relay's lag and a bus's dead-letter queue when the registry is scraped.
 * {@code docs/observability.md} lists every meter.
 *
 * <p>Tags never carry ids, only registered type names, configured component names and outcomes, so
 * the number of series is bounded by the application. Each meter is registered on first use and
 * kept, so a message costs a map read per intercepted call, two clock reads per timer and the
 * registry's own recording. A timer that a {@code MeterFilter} of the registry denies costs no
 * clock reads: deny {@code cqrs.aggregate.load}, {@code cqrs.aggregate.save} and {@code
 * cqrs.events.published} for the leanest command path. Thread-safe; one instance may serve several
 * {@link Cqrs} instances, whose meters it then adds up.
 */
public final class CqrsMetrics
    implements CommandDispatchInterceptor,
        CommandHandlerInterceptor,
        EventPublishInterceptor,
        EventHandlerInterceptor,
        AggregateInterceptor {
  private static final String NONE = "";
  private static final int SUCCEEDED = Outcome.SUCCEEDED.ordinal();

  private final CqrsMeters meters;
  private final Clock clock;

  private CqrsMetrics(MeterRegistry registry, Tags tags) {
    this.meters = new CqrsMeters(registry, tags);
    this.clock = registry.config().clock();
  }

  /** Metrics recorded in {@code registry}. */
  public static CqrsMetrics of(MeterRegistry registry) {
    return of(registry, Tags.empty());
  }

  /**
   * Metrics recorded in {@code registry}, every meter with {@code tags} besides its own: to tell
   * apart two applications that share a registry (the registry's common tags do the same for all
   * its meters).
   */
  public static CqrsMetrics of(MeterRegistry registry, Iterable<Tag> tags) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(tags, "tags");
    return new CqrsMetrics(registry, Tags.of(tags));
  }

  /** Times a publish call of commands: {@code cqrs.commands.dispatched}. */
  @Override
  public CompletableFuture<Void> interceptDispatch(Dispatch<Command> dispatch) {
    return timePublish(dispatch, meters.commandsDispatched, Command::commandType);
  }

  /**
   * Times one command's handling, conflict retries included: {@code cqrs.commands.handled}, and
   * counts the retries in {@code cqrs.commands.retries}.
   */
  @Override
  public Outcome interceptCommand(Handling<Command> handling) throws Exception {
    MeterTable.Row row =
        meters.commands.row(handling.component(), handling.message().commandType());
    try {
      return timeHandling(row, handling);
    } finally {
      int retries = handling.attempts() - 1;
      if (retries > 0) {
        row.counter(RETRIES).increment(retries);
      }
    }
  }

  /** Times a publish call of events: {@code cqrs.events.published}. */
  @Override
  public CompletableFuture<Void> interceptPublish(Dispatch<VersionedEvent> dispatch) {
    return timePublish(dispatch, meters.events, VersionedEvent::eventType);
  }

  /** Times one delivery of an event to a subscription's or processor's handlers. */
  @Override
  public Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception {
    return timeHandling(
        meters.eventsHandled.row(handling.component(), handling.message().eventType()), handling);
  }

  /** Proceeds with {@code handling}, timing it in {@code row}'s timer of the outcome. */
  private Outcome timeHandling(MeterTable.Row row, Handling<?> handling) throws Exception {
    boolean timed = row.live(SUCCEEDED);
    long start = timed ? clock.monotonicTime() : 0;
    Outcome outcome = Outcome.FAILED;
    CompletionStage<?> pending = null;
    try {
      outcome = handling.proceed();
      pending = handling.pending();
      return outcome;
    } catch (Throwable failure) {
      outcome = Outcome.of(failure);
      throw failure;
    } finally {
      if (timed) {
        if (pending == null) {
          row.timer(outcome.ordinal()).record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
        } else {
          // An asynchronous handler's work: the handling ends, and fails, with its stage.
          Outcome started = outcome;
          pending.whenComplete(
              (result, failure) ->
                  row.timer(
                          failure == null
                              ? started.ordinal()
                              : Outcome.of(cause(failure)).ordinal())
                      .record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS));
        }
      }
    }
  }

  /** What a stage failed with, without the wrapper {@code whenComplete} may add. */
  private static Throwable cause(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  /**
   * Times a load ({@code cqrs.aggregate.load}, counting a cache hit or miss) or a save ({@code
   * cqrs.aggregate.save}, counting the events it committed).
   */
  @Override
  public void interceptAggregate(AggregateCall call) {
    MeterTable.Row row = meters.aggregates.row(NONE, call.aggregateType());
    boolean load = call.kind() == AggregateCall.Kind.LOAD;
    int timers = load ? LOAD : SAVE;
    boolean timed = row.live(timers + SUCCEEDED);
    long start = timed ? clock.monotonicTime() : 0;
    Outcome outcome = Outcome.FAILED;
    try {
      call.proceed();
      outcome = Outcome.SUCCEEDED;
    } catch (RuntimeException | Error failure) {
      outcome = Outcome.of(failure);
      throw failure;
    } finally {
      if (timed) {
        row.timer(timers + outcome.ordinal())
            .record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
      }
      if (outcome == Outcome.SUCCEEDED) {
        if (load) {
          row.counter(call.fromCache() ? HIT : MISS).increment();
        } else {
          countAppended(call.events());
        }
      }
    }
  }

  /**
   * Binds the gauges of what {@code cqrs} runs: {@link #bindProcessor} for each of its tracking
   * processors, {@link #bindRelay} for its relay and {@link #bindCache} for its repository's
   * aggregate cache, where it has them. Call it after registering the processors. Dead-letter
   * queues are bound on their own ({@link #bindCommandDeadLetters}, {@link #bindEventDeadLetters}):
   * only their bus can count them.
   */
  public CqrsMetrics bind(Cqrs cqrs) {
    Objects.requireNonNull(cqrs, "cqrs");
    for (EventProcessor processor : cqrs.processors()) {
      if (processor instanceof TrackingEventProcessor tracking) {
        bindProcessor(tracking);
      }
    }
    cqrs.relay().ifPresent(this::bindRelay);
    cqrs.repository().cache().ifPresent(this::bindCache);
    return this;
  }

  /**
   * Adds {@code cqrs.processor.lag}, a gauge of how far {@code processor} is behind ({@link
   * io.cqrs.ProcessorLag#behind()} of {@link TrackingEventProcessor#lag()}, which reads the store
   * at each scrape: events in memory, log sequences on Couchbase), and {@code
   * cqrs.processor.dead.letters}, a count of the events this process dead-lettered ({@link
   * TrackingEventProcessor#deadLettered()}), both tagged {@code processor}. They hold the processor
   * weakly, as Micrometer's gauges do.
   */
  public CqrsMetrics bindProcessor(TrackingEventProcessor processor) {
    meters.processor(Objects.requireNonNull(processor, "processor"));
    return this;
  }

  /**
   * Adds {@code cqrs.relay.lag}, a gauge of how far the relay's checkpoint is behind the log
   * ({@link io.cqrs.ProcessorLag#behind()} of {@link EventRelay#lag()}, which reads the store at
   * each scrape), tagged {@code relay}.
   */
  public CqrsMetrics bindRelay(EventRelay relay) {
    meters.relay(Objects.requireNonNull(relay, "relay"));
    return this;
  }

  /**
   * Adds {@code cqrs.aggregate.cache.size}, a gauge of the aggregates {@code cache} holds, and
   * {@code cqrs.aggregate.cache.evictions}, the entries it dropped to stay within its size. Hits
   * and misses are counted per aggregate type as loads happen ({@code cqrs.aggregate.cache.gets}).
   */
  public CqrsMetrics bindCache(AggregateCache cache) {
    meters.cache(Objects.requireNonNull(cache, "cache"));
    return this;
  }

  /**
   * Adds {@code cqrs.commands.dead.letters}, a gauge of the commands in the dead-letter queue of
   * {@code service}, tagged {@code component}; {@code depth} counts them, given the service name
   * (e.g. {@code rabbitCommandBus::deadLetterCount}). The interceptors cannot see a bus dead-letter
   * a message, so only the bus can say.
   */
  public CqrsMetrics bindCommandDeadLetters(String service, ToLongFunction<String> depth) {
    meters.deadLetters(
        "commands",
        Objects.requireNonNull(service, "service"),
        Objects.requireNonNull(depth, "depth"));
    return this;
  }

  /**
   * Adds {@code cqrs.events.dead.letters}, a gauge of the events in the dead-letter queue of {@code
   * subscription}, tagged {@code component}; {@code depth} counts them, given the subscription name
   * (e.g. {@code rabbitEventBus::deadLetterCount}).
   */
  public CqrsMetrics bindEventDeadLetters(String subscription, ToLongFunction<String> depth) {
    meters.deadLetters(
        "events",
        Objects.requireNonNull(subscription, "subscription"),
        Objects.requireNonNull(depth, "depth"));
    return this;
  }

  /** Counts committed events by type, one increment per run of events of the same type. */
  private void countAppended(List<VersionedEvent> committed) {
    int from = 0;
    for (int i = 1; i <= committed.size(); i++) {
      String type = committed.get(from).eventType();
      if (i == committed.size() || !committed.get(i).eventType().equals(type)) {
        meters.events.row(NONE, type).counter(APPENDED).increment(i - from);
        from = i;
      }
    }
  }

  /**
   * Times a publish call, recording its duration once for each message in it: at once where the bus
   * has answered already, else when its future completes, on whichever thread completes it. The
   * clock is not read where every message's timer is denied.
   */
  private <M> CompletableFuture<Void> timePublish(
      Dispatch<M> dispatch, MeterTable table, Function<M, String> typeOf) {
    List<M> messages = dispatch.messages();
    MeterTable.Row[] rows;
    if (messages.size() == 1) {
      rows = table.row(NONE, typeOf.apply(messages.get(0))).alone(); // no array per call
    } else {
      rows = new MeterTable.Row[messages.size()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = table.row(NONE, typeOf.apply(messages.get(i)));
      }
    }
    boolean timed = false;
    for (MeterTable.Row row : rows) {
      timed |= row.live(SUCCEEDED);
    }
    if (!timed) {
      return dispatch.proceed();
    }
    long start = clock.monotonicTime();
    CompletableFuture<Void> accepted;
    try {
      accepted = dispatch.proceed();
    } catch (RuntimeException | Error e) {
      recordPublish(rows, start, Outcome.FAILED);
      throw e;
    }
    if (accepted.isDone()) {
      recordPublish(
          rows, start, accepted.isCompletedExceptionally() ? Outcome.FAILED : Outcome.SUCCEEDED);
    } else {
      accepted.whenComplete(
          (done, failure) ->
              recordPublish(rows, start, failure == null ? Outcome.SUCCEEDED : Outcome.FAILED));
    }
    return accepted;
  }

  private void recordPublish(MeterTable.Row[] rows, long start, Outcome outcome) {
    long elapsed = clock.monotonicTime() - start;
    for (MeterTable.Row row : rows) {
      row.timer(outcome.ordinal()).record(elapsed, TimeUnit.NANOSECONDS);
    }
  }
}
