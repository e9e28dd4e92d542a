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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether this instance can take work ({@code GET /ready}): the store answers a read within {@link
 * #STORE_TIMEOUT}, both buses consume with every listener (RabbitMQ connected), the relay runs, and
 * no event processor has stopped on a failure. The report names each reason it is not ready, and
 * shows the relay's and the processors' lag.
 *
 * <p>The report is made at most once per {@link #PROBE_INTERVAL} whatever the request rate (the
 * store probe and the lag reads included), so a client polling {@code /ready} cannot turn into load
 * on the store. Its reasons are short and fixed; failures' texts (which may name hosts) are only in
 * the details, for administrators ({@link Report#brief()} is what others get).
 */
final class Readiness implements AutoCloseable {
  static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
  private static final String PROBE_ID = "bank-readiness-probe";

  private final Bank bank;
  private final ExecutorService probes =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "bank-ready-probe");
            thread.setDaemon(true);
            return thread;
          });
  private long reportedAt = Long.MIN_VALUE;
  private Report report;

  Readiness(Bank bank) {
    this.bank = bank;
  }

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

  /** The report, made afresh at most once per {@link #PROBE_INTERVAL}. */
  synchronized Report check() {
    long now = System.nanoTime();
    if (report == null || now - reportedAt >= PROBE_INTERVAL.toNanos()) {
      report = make();
      reportedAt = System.nanoTime();
    }
    return report;
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
      return lag.positionsBehind();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Long lag(TrackingEventProcessor processor) {
    try {
      return processor.lag().positionsBehind();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Why the store is not reachable, or {@code null} if it answered within the timeout. */
  private String storeProblem() {
    Future<Long> probe = probes.submit(() -> bank.infrastructure().store().version(PROBE_ID));
    try {
      probe.get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    } catch (TimeoutException e) {
      probe.cancel(true);
      return "no answer within " + STORE_TIMEOUT.toMillis() + " ms";
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
