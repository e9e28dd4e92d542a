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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether this instance can take work ({@code GET /ready}): the store answers a read within {@link
 * #STORE_TIMEOUT}, both buses consume with every listener (RabbitMQ connected), the relay runs, and
 * no event processor has stopped on a failure. The report names each reason it is not ready, and
 * shows the relay's and the processors' lag.
 *
 * <p>The store is probed at most once per {@link #PROBE_INTERVAL} whatever the request rate, so a
 * client polling {@code /ready} cannot turn into load on the store.
 */
final class Readiness {
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
  private long probedAt = Long.MIN_VALUE;
  private String storeProblem;

  Readiness(Bank bank) {
    this.bank = bank;
  }

  /** What {@code GET /ready} answers. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Report(
      String status,
      List<String> reasons,
      boolean storeReachable,
      Bus commandBus,
      Bus eventBus,
      Relay relay,
      List<Processor> processors) {
    boolean ready() {
      return reasons.isEmpty();
    }
  }

  /** A bus's consumers and connections. */
  record Bus(boolean healthy, int consumers, List<BusHealth.Connection> connections) {
    static Bus of(BusHealth health) {
      return new Bus(health.healthy(), health.consumers(), health.connections());
    }
  }

  /** The relay: whether this instance leads it, and how far behind the log it is. */
  record Relay(boolean leader, Long lag) {}

  /** One event processor, with its lag when it tracks the log. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Processor(String name, boolean paused, String failure, Long lag) {}

  Report check() {
    List<String> reasons = new ArrayList<>();
    String store = storeProblem();
    if (store != null) {
      reasons.add(store);
    }
    if (!bank.isStarted()) {
      reasons.add("not started: this instance does not handle commands or events yet");
    }
    BankHealth health = bank.health();
    if (!health.commandBus().healthy()) {
      reasons.add("command bus: " + describe(health.commandBus()));
    }
    if (!health.eventBus().healthy()) {
      reasons.add("event bus: " + describe(health.eventBus()));
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
        reasons.add("processor " + processor.name() + " stopped: " + failure);
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
        Bus.of(health.commandBus()),
        Bus.of(health.eventBus()),
        relayReport,
        List.copyOf(processors));
  }

  private static String describe(BusHealth health) {
    BusHealth.Failure failure = health.lastFailure();
    return health.consumers()
        + " consumers"
        + (failure == null ? "" : ", last failure: " + failure.description());
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

  /**
   * Why the store is not reachable, or {@code null} if it answered; probed at most once a second.
   */
  private synchronized String storeProblem() {
    long now = System.nanoTime();
    if (probedAt != Long.MIN_VALUE && now - probedAt < PROBE_INTERVAL.toNanos()) {
      return storeProblem;
    }
    CompletableFuture<Long> probe =
        CompletableFuture.supplyAsync(
            () -> bank.infrastructure().store().version(PROBE_ID), probes);
    try {
      probe.get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      storeProblem = null;
    } catch (TimeoutException e) {
      probe.cancel(true);
      storeProblem = "store: no answer within " + STORE_TIMEOUT.toMillis() + " ms";
    } catch (ExecutionException e) {
      storeProblem = "store: " + e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      storeProblem = "store: interrupted while probing";
    }
    probedAt = System.nanoTime();
    return storeProblem;
  }
}
