package io.cqrs.example.bank.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cqrs.EventProcessor;
import io.cqrs.EventRelay;
import io.cqrs.ProcessorLag;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankHealth;
import io.cqrs.spi.BusHealth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether this instance can take work ({@code GET /ready}): the store answers a read within {@link
 * #STORE_TIMEOUT}, both buses consume with every listener (RabbitMQ connected), the relay runs, and
 * no event processor has stopped on a failure. The report names each reason it is not ready, and
 * shows the relay's and the processors' lag.
 *
 * <p>The report is made at most once per {@link #PROBE_INTERVAL} whatever the request rate (the
 * store probe and the lag reads included), so a client polling {@code /ready} cannot turn into load
 * on the store, and by one request at a time: while it is made (up to {@link #STORE_TIMEOUT} when
 * the store is slow) the others get the last report at once rather than queue on request threads;
 * only the very first report is waited for. Its reasons are short and fixed; failures' texts (which
 * may name hosts) are only in the details, for administrators ({@link Report#brief()} is what
 * others get).
 */
final class Readiness implements AutoCloseable {
  static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
  static final String PROBE_ID = "bank-readiness-probe";

  private final Bank bank;
  private final ExecutorService probes =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "bank-ready-probe");
            thread.setDaemon(true);
            return thread;
          });
  private final long probeIntervalNanos;
  private final Duration storeTimeout;
  private final AtomicReference<CompletableFuture<Report>> making = new AtomicReference<>();
  private volatile Made last;

  Readiness(Bank bank) {
    this(bank, PROBE_INTERVAL, STORE_TIMEOUT);
  }

  Readiness(Bank bank, Duration probeInterval, Duration storeTimeout) {
    this.bank = bank;
    this.probeIntervalNanos = probeInterval.toNanos();
    this.storeTimeout = storeTimeout;
  }

  /** A report and when it was made ({@link System#nanoTime()}). */
  private record Made(Report report, long at) {}

  /** What {@code GET /ready} answers. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Report(
      String status,
      List<String> reasons,
      Boolean storeReachable,
      String storeProblem,
      Bus commandBus,
      Bus eventBus,
      Relay relay,
      List<Processor> processors) {
    boolean ready() {
      return reasons.isEmpty();
    }

    /** The status and the reasons alone: what anyone may see. */
    Report brief() {
      return new Report(status, reasons, null, null, null, null, null, null);
    }
  }

  /** A bus's consumers, connections and last failure. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Bus(
      boolean healthy, int consumers, String lastFailure, List<BusHealth.Connection> connections) {
    static Bus of(BusHealth health) {
      BusHealth.Failure failure = health.lastFailure();
      return new Bus(
          health.healthy(),
          health.consumers(),
          failure == null ? null : failure.description(),
          health.connections());
    }
  }

  /** The relay: whether this instance leads it, and how far behind the log it is. */
  record Relay(boolean leader, Long lag) {}

  /** One event processor, with its lag when it tracks the log. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Processor(String name, boolean paused, String failure, Long lag) {}

  /**
   * The report, made afresh at most once per probe interval and by one caller at a time: the others
   * get the last one meanwhile (or wait for the first).
   */
  Report check() {
    Made made = last;
    if (fresh(made)) {
      return made.report();
    }
    CompletableFuture<Report> mine = new CompletableFuture<>();
    CompletableFuture<Report> running = making.compareAndExchange(null, mine);
    if (running != null) {
      return made != null ? made.report() : running.join();
    }
    try {
      // Another caller may have made one between the first look and taking the turn.
      Made again = last;
      if (fresh(again)) {
        mine.complete(again.report());
        return again.report();
      }
      Report report = make();
      last = new Made(report, System.nanoTime());
      mine.complete(report);
      return report;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      making.set(null);
    }
  }

  private boolean fresh(Made made) {
    return made != null && System.nanoTime() - made.at() < probeIntervalNanos;
  }

  private Report make() {
    List<String> reasons = new ArrayList<>();
    String store = storeProblem();
    if (store != null) {
      reasons.add("store unreachable");
    }
    if (!bank.isStarted()) {
      reasons.add("not started: this instance does not handle commands or events yet");
    }
    BankHealth health = bank.health();
    if (!health.commandBus().healthy()) {
      reasons.add("command bus: " + health.commandBus().consumers() + " consumers");
    }
    if (!health.eventBus().healthy()) {
      reasons.add("event bus: " + health.eventBus().consumers() + " consumers");
    }
    Optional<EventRelay> relay = bank.cqrs().relay();
    Relay relayReport = null;
    if (relay.isEmpty()) {
      reasons.add("no relay runs: events committed before a crash would stay unpublished");
    } else {
      relayReport = new Relay(relay.get().isLeader(), store == null ? lag(relay.get()) : null);
    }
    List<Processor> processors = new ArrayList<>();
    for (EventProcessor processor : bank.cqrs().processors()) {
      Throwable failure = processor.failure();
      if (failure != null) {
        reasons.add("processor " + processor.name() + " stopped on a failure");
      }
      Long lag =
          store == null && processor instanceof TrackingEventProcessor tracking
              ? lag(tracking)
              : null;
      processors.add(
          new Processor(
              processor.name(),
              processor.isPaused(),
              failure == null ? null : failure.toString(),
              lag));
    }
    return new Report(
        reasons.isEmpty() ? "ready" : "not ready",
        List.copyOf(reasons),
        store == null,
        store,
        Bus.of(health.commandBus()),
        Bus.of(health.eventBus()),
        relayReport,
        List.copyOf(processors));
  }

  private static Long lag(EventRelay relay) {
    try {
      ProcessorLag lag = relay.lag();
      return lag.behind();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Long lag(TrackingEventProcessor processor) {
    try {
      return processor.lag().behind();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Why the store is not reachable, or {@code null} if it answered within the timeout. */
  private String storeProblem() {
    Future<Long> probe = probes.submit(() -> bank.infrastructure().store().version(PROBE_ID));
    try {
      probe.get(storeTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    } catch (TimeoutException e) {
      probe.cancel(true);
      return "no answer within " + storeTimeout.toMillis() + " ms";
    } catch (ExecutionException e) {
      return String.valueOf(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while probing";
    }
  }

  /** Stops the probe's thread. */
  @Override
  public void close() {
    probes.shutdownNow();
  }
}
