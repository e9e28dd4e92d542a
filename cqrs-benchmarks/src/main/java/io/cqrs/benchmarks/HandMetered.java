package io.cqrs.benchmarks;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventSourcingRepository;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Deposit;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The meters of {@code CqrsMetrics} recorded by hand in the sender and the handlers of {@link
 * ObservabilityBenchmark}'s application, with no interceptor, each registered once up front with
 * the tags {@code CqrsMetrics} gives it: the commands dispatched and handled, the events handled,
 * the aggregate loads and saves (timers, by outcome), the cache's hits and the events appended
 * (counters). The timer of the events published is left out: the repository publishes inside its
 * save, where a program without interceptors cannot time it, so this floor is if anything low.
 */
final class HandMetered {
  private static final String SUCCEEDED = "succeeded";

  private final Clock clock;
  private final Timer dispatched;
  private final Timer handled;
  private final Timer load;
  private final Timer save;
  private final Timer eventHandled;
  private final Counter hits;
  private final Counter appended;

  HandMetered(MeterRegistry registry) {
    this.clock = registry.config().clock();
    this.dispatched =
        Timer.builder("cqrs.commands.dispatched")
            .tags("command", "Deposit", "outcome", SUCCEEDED)
            .register(registry);
    this.handled =
        Timer.builder("cqrs.commands.handled")
            .tags("component", "app", "command", "Deposit", "outcome", SUCCEEDED)
            .register(registry);
    this.load =
        Timer.builder("cqrs.aggregate.load")
            .tags("aggregate", "BenchAccount", "outcome", SUCCEEDED)
            .register(registry);
    this.save =
        Timer.builder("cqrs.aggregate.save")
            .tags("aggregate", "BenchAccount", "outcome", SUCCEEDED)
            .register(registry);
    this.eventHandled =
        Timer.builder("cqrs.events.handled")
            .tags("component", "deposits", "event", "MoneyDeposited", "outcome", SUCCEEDED)
            .register(registry);
    this.hits =
        Counter.builder("cqrs.aggregate.cache.gets")
            .tags("aggregate", "BenchAccount", "result", "hit")
            .register(registry);
    this.appended =
        Counter.builder("cqrs.events.appended").tags("event", "MoneyDeposited").register(registry);
  }

  /** Sends {@code command}, timing the bus's acceptance. */
  void publish(Cqrs cqrs, Command command) {
    long start = clock.monotonicTime();
    cqrs.commandBus().publish(command);
    dispatched.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
  }

  /** The deposit's handler: load, deposit and save, each timed, and the whole handling. */
  void deposit(EventSourcingRepository repository, Deposit deposit) {
    long start = clock.monotonicTime();
    BenchAccount account = repository.get(deposit.accountId(), BenchAccount::new);
    long loaded = clock.monotonicTime();
    load.record(loaded - start, TimeUnit.NANOSECONDS);
    hits.increment(); // every account is in the cache
    account.deposit(deposit.amount());
    int events = repository.save(account, "deposit").size();
    long saved = clock.monotonicTime();
    save.record(saved - loaded, TimeUnit.NANOSECONDS);
    appended.increment(events);
    handled.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
  }

  /** The event's handler: counts the deposit down, timed. */
  void deposited(CountDownLatch deposits) {
    long start = clock.monotonicTime();
    deposits.countDown();
    eventHandled.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
  }
}
