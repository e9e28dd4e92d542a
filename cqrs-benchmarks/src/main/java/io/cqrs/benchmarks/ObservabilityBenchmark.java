package io.cqrs.benchmarks;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventSourcingRepository;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.MoneyDeposited;
import io.cqrs.interceptor.MdcInterceptor;
import io.cqrs.micrometer.CqrsMetrics;
import io.cqrs.opentelemetry.CqrsTracing;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 16: what metrics, tracing and the MDC cost on the in-memory command path. The same
 * application (a {@link Cqrs} on in-memory store and buses; a command loads an account, deposits
 * and saves; a subscription sees the event) runs with no interceptors ({@code plain}) and with
 * {@link MdcInterceptor}, {@link CqrsMetrics} on a Prometheus registry and {@link CqrsTracing} on
 * the OpenTelemetry SDK, sampling every trace, its spans batched to an exporter that drops them
 * ({@code observed}); with one trace in ten sampled ({@code observedSampled}); and with metrics or
 * tracing alone ({@code metricsOnly}, {@code tracingOnly}). One operation is one command, through
 * the command bus to the subscriber, as {@link CommandPathBenchmark#cqrsCommandBus} measures it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ObservabilityBenchmark.COMMANDS)
// Two forks and eight warm-ups: a fork's JIT settles after five or six iterations, and two forks
// compiled differently measured 10% apart.
@Fork(2)
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 8, time = 2)
public class ObservabilityBenchmark {
  /** Commands per invocation, each to its own account. */
  static final int COMMANDS = 100;

  private static final String[] IDS = new String[COMMANDS];

  static {
    for (int i = 0; i < COMMANDS; i++) {
      IDS[i] = "account-" + i;
    }
  }

  /** An exporter that drops every span: the SDK's own work is measured, not an export. */
  static class DroppingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** One application; {@link #observed} says with or without interceptors. */
  abstract static class App {
    private Cqrs cqrs;
    private OpenTelemetrySdk openTelemetry;
    private PrometheusMeterRegistry registry;
    private volatile CountDownLatch deposited;
    private HandTraced handTraced;
    private HandMetered handMetered;

    /**
     * Builds and starts a fresh application and opens the accounts; not measured. Once per
     * iteration: the in-memory store keeps every event, and a store that grew over the whole run
     * would have the garbage collector measured rather than the interceptors.
     */
    @Setup(Level.Iteration)
    public void start() {
      // The cache keeps each command's work the same however long the run: a load reads no
      // events, where the growing streams would otherwise be replayed.
      Cqrs.Builder builder =
          Cqrs.builder()
              .types(Histories.registry())
              .aggregateCache(AggregateCache.maximumSize(COMMANDS))
              // Versions only: an in-memory store keeping every event of a run had the garbage
              // collector copy them, 60 to 100 ms every half second, in every variant alike.
              .store(new HeadOnlyStore())
              // No relay to find and publish commits in the middle of a measurement.
              .relay(false);
      if (metrics()) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      }
      if (tracing()) {
        openTelemetry =
            OpenTelemetrySdk.builder()
                .setTracerProvider(
                    SdkTracerProvider.builder()
                        .setSampler(sampler())
                        .addSpanProcessor(spanProcessor())
                        .build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
      }
      if (byHand()) {
        // No interceptors: the handlers below start the spans themselves.
      } else if (tracing() && metrics()) {
        builder.interceptors(
            new MdcInterceptor(), CqrsTracing.of(openTelemetry), CqrsMetrics.of(registry));
      } else if (tracing()) {
        builder.interceptors(CqrsTracing.of(openTelemetry));
      } else if (metrics()) {
        builder.interceptors(CqrsMetrics.of(registry));
      }
      cqrs = builder.build();
      EventSourcingRepository repository = cqrs.repository();
      if (byHand() && tracing()) {
        handTraced = new HandTraced(openTelemetry);
        cqrs.onCommand(
            Deposit.class, (deposit, command) -> handTraced.deposit(repository, deposit, command));
        cqrs.onEvent(
            "deposits",
            MoneyDeposited.class,
            event -> handTraced.deposited(event, deposited::countDown));
      } else if (byHand()) {
        handMetered = new HandMetered(registry);
        cqrs.onCommand(
            Deposit.class, (deposit, command) -> handMetered.deposit(repository, deposit));
        cqrs.onEvent("deposits", MoneyDeposited.class, event -> handMetered.deposited(deposited));
      } else {
        cqrs.onCommand(
            Deposit.class,
            (deposit, command) -> {
              BenchAccount account = repository.get(deposit.accountId(), BenchAccount::new);
              account.deposit(deposit.amount());
              repository.save(account, command);
            });
        cqrs.onEvent("deposits", MoneyDeposited.class, event -> deposited.countDown());
      }
      cqrs.start();
      // Opened through the repository, which caches them: the store keeps no events to load.
      for (String id : IDS) {
        BenchAccount account = new BenchAccount(id);
        account.open("alice");
        repository.save(account, "opening");
      }
    }

    abstract boolean metrics();

    /** The registry the meters are recorded in, if {@link #metrics()}; for tests. */
    PrometheusMeterRegistry registry() {
      return registry;
    }

    abstract boolean tracing();

    /** Whether the handlers and the sender trace by hand, with no interceptors. */
    boolean byHand() {
      return false;
    }

    /** Where spans go: batched to an exporter that drops them (a test looks at them instead). */
    SpanProcessor spanProcessor() {
      return BatchSpanProcessor.builder(new DroppingExporter()).build();
    }

    /** Which traces are recorded: every one, unless a variant samples. */
    Sampler sampler() {
      return Sampler.alwaysOn();
    }

    /** A fresh latch for the invocation's deposits; not measured. */
    @Setup(Level.Invocation)
    public void expect() {
      deposited = new CountDownLatch(COMMANDS);
    }

    void awaitDeposits() throws InterruptedException {
      if (!deposited.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "Only " + (COMMANDS - deposited.getCount()) + " of " + COMMANDS + " deposits arrived");
      }
    }

    /** Stops the application and the SDK. */
    @TearDown(Level.Iteration)
    public void stop() {
      cqrs.close();
      if (openTelemetry != null) {
        openTelemetry.close();
        openTelemetry = null;
      }
      if (registry != null) {
        registry.close();
        registry = null;
      }
    }
  }

  /** The application without interceptors. */
  @State(Scope.Benchmark)
  public static class Plain extends App {
    @Override
    boolean metrics() {
      return false;
    }

    @Override
    boolean tracing() {
      return false;
    }
  }

  /** The application with the MDC, metrics and tracing. */
  @State(Scope.Benchmark)
  public static class Observed extends App {
    @Override
    boolean metrics() {
      return true;
    }

    @Override
    boolean tracing() {
      return true;
    }
  }

  /**
   * The application with the MDC, metrics and tracing, recording one trace in ten (parent-based, as
   * production set-ups sample): the spans of the other nine are not recorded.
   */
  @State(Scope.Benchmark)
  public static class ObservedSampled extends Observed {
    @Override
    Sampler sampler() {
      return Sampler.parentBased(Sampler.traceIdRatioBased(0.1));
    }
  }

  /** The application with metrics only. */
  @State(Scope.Benchmark)
  public static class Metrics extends App {
    @Override
    boolean metrics() {
      return true;
    }

    @Override
    boolean tracing() {
      return false;
    }
  }

  /** The application with tracing only. */
  @State(Scope.Benchmark)
  public static class Tracing extends App {
    @Override
    boolean metrics() {
      return false;
    }

    @Override
    boolean tracing() {
      return true;
    }
  }

  /**
   * The application without interceptors, traced by hand with the same SDK set-up as {@link
   * Tracing}: the least a program needs for the same trace (see {@link HandTraced}).
   */
  @State(Scope.Benchmark)
  public static class ByHand extends Tracing {
    @Override
    boolean byHand() {
      return true;
    }
  }

  /**
   * The application without interceptors, its meters recorded by hand on the same registry as
   * {@link Metrics}: the least a program needs for the same meters (see {@link HandMetered}).
   */
  @State(Scope.Benchmark)
  public static class MetersByHand extends Metrics {
    @Override
    boolean byHand() {
      return true;
    }
  }

  /** Without interceptors: the baseline. */
  @Benchmark
  public void plain(Plain app) throws InterruptedException {
    send(app);
  }

  /** With the MDC, metrics and tracing. */
  @Benchmark
  public void observed(Observed app) throws InterruptedException {
    send(app);
  }

  /** With the MDC, metrics and tracing of one trace in ten. */
  @Benchmark
  public void observedSampled(ObservedSampled app) throws InterruptedException {
    send(app);
  }

  /** With metrics only: what they cost on their own. */
  @Benchmark
  public void metricsOnly(Metrics app) throws InterruptedException {
    send(app);
  }

  /** With tracing only: what it costs on its own. */
  @Benchmark
  public void tracingOnly(Tracing app) throws InterruptedException {
    send(app);
  }

  /**
   * Without interceptors, the sender and the handlers tracing by hand: the floor under {@code
   * tracingOnly}, what the SDK's six spans and two propagations cost whoever makes them.
   */
  @Benchmark
  public void tracedByHand(ByHand byHand) throws InterruptedException {
    App app = byHand;
    for (int i = 0; i < COMMANDS; i++) {
      app.handTraced.publish(app.cqrs, Command.create(new Deposit(IDS[i], 1)));
    }
    app.awaitDeposits();
  }

  /**
   * Without interceptors, the sender and the handlers recording their meters by hand: the floor
   * under {@code metricsOnly}.
   */
  @Benchmark
  public void meteredByHand(MetersByHand byHand) throws InterruptedException {
    App app = byHand;
    for (int i = 0; i < COMMANDS; i++) {
      app.handMetered.publish(app.cqrs, Command.create(new Deposit(IDS[i], 1)));
    }
    app.awaitDeposits();
  }

  /** A command per account through the command bus, until the subscriber saw every deposit. */
  private static void send(App app) throws InterruptedException {
    for (int i = 0; i < COMMANDS; i++) {
      app.cqrs.commandBus().publish(Command.create(new Deposit(IDS[i], 1)));
    }
    app.awaitDeposits();
  }
}
