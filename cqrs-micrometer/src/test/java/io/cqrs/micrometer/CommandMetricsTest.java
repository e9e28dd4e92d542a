package io.cqrs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Command;
import io.cqrs.ConcurrencyException;
import io.cqrs.Cqrs;
import io.cqrs.MissingHandlerException;
import io.cqrs.TransientCqrsException;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.interceptor.Outcome;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.micrometer.Account.Deposit;
import io.cqrs.micrometer.Account.Open;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CommandMetricsTest {
  private static final String HANDLED = "cqrs.commands.handled";
  private static final String DISPATCHED = "cqrs.commands.dispatched";
  private static final String RETRIES = "cqrs.commands.retries";

  record Unhandled(String id) {}

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Meters meters = new Meters(registry);

  @Test
  void commands_dispatched_directly_are_timed_by_type_and_outcome_under_direct() throws Exception {
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(registry)).build()) {
      Account.handle(cqrs);
      cqrs.start();

      cqrs.commands().dispatch(Command.create(new Open("a-1")));
      Command deposit = Command.create(new Deposit("a-1", 5));
      cqrs.commands().dispatch(deposit);
      cqrs.commands().dispatch(deposit); // a redelivery: its effect is there already
      cqrs.commands().dispatch(Command.create(new Deposit("a-1", 7)));
      for (int i = 0; i < 2; i++) {
        Command refused = Command.create(new Deposit("a-1", -1));
        assertThatThrownBy(() -> cqrs.commands().dispatch(refused))
            .isInstanceOf(IllegalArgumentException.class);
      }
      assertThatThrownBy(() -> cqrs.commands().dispatch(Command.create(new Unhandled("u"))))
          .isInstanceOf(MissingHandlerException.class);
    }

    assertThat(handled("Open", "direct", "succeeded")).isEqualTo(1);
    assertThat(handled("Deposit", "direct", "succeeded")).isEqualTo(2);
    assertThat(handled("Deposit", "direct", "duplicate")).isEqualTo(1);
    assertThat(handled("Deposit", "direct", "rejected")).isEqualTo(2);
    assertThat(handled("Unhandled", "direct", "failed")).isEqualTo(1);
    assertThat(meters.timed(HANDLED)).isEqualTo(7);
    assertThat(meters.counted(RETRIES)).isZero();
    assertThat(meters.timed(DISPATCHED)).as("nothing went through the bus").isZero();
  }

  @Test
  void conflicts_retried_inside_a_handling_are_counted_as_retries_and_conflicting_saves()
      throws Exception {
    AtomicInteger firstOf99 = new AtomicInteger();
    AtomicInteger attemptsOf98 = new AtomicInteger();
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(registry)).build()) {
      // A deposit of 99 meets one competing save, on its first attempt; of 98, on every attempt,
      // until the dispatch manager gives up.
      Account.handle(
          cqrs,
          deposit ->
              deposit.amount() == 99
                  ? firstOf99.getAndIncrement() == 0
                  : deposit.amount() == 98 && attemptsOf98.incrementAndGet() > 0);
      cqrs.start();

      cqrs.commands().dispatch(Command.create(new Open("a-1")));
      cqrs.commands().dispatch(Command.create(new Deposit("a-1", 99)));
      assertThatThrownBy(() -> cqrs.commands().dispatch(Command.create(new Deposit("a-1", 98))))
          .isInstanceOf(ConcurrencyException.class);
    }

    int attempts = attemptsOf98.get();
    assertThat(attempts).as("the dispatch manager's attempts").isGreaterThan(1);
    assertThat(handled("Deposit", "direct", "succeeded")).isEqualTo(1);
    assertThat(handled("Deposit", "direct", "conflict")).isEqualTo(1);
    // 99: two attempts, one retry; 98: every attempt after its first.
    assertThat(meters.counted(RETRIES, "command", "Deposit")).isEqualTo(1 + (attempts - 1));
    assertThat(meters.counted(RETRIES, "command", "Open")).isZero();
    assertThat(meters.timed("cqrs.aggregate.save", "aggregate", "Account", "outcome", "conflict"))
        .isEqualTo(1 + attempts);
    // Open, the 99's competitor and its second attempt, the 98's competitors.
    assertThat(meters.timed("cqrs.aggregate.save", "aggregate", "Account", "outcome", "succeeded"))
        .isEqualTo(1 + 2 + attempts);
  }

  @Test
  void commands_sent_on_the_bus_are_timed_when_sent_and_when_handled_by_the_service() {
    Cqrs cqrs = Account.cqrs().service("bank").interceptors(CqrsMetrics.of(registry)).build();
    try (cqrs) {
      Account.handle(cqrs);
      cqrs.start();

      cqrs.send(new Open("a-1"));
      Await.until("the account opened", () -> handled("Open", "bank", "succeeded") == 1);
      cqrs.send(new Deposit("a-1", 5));
      cqrs.send(new Deposit("a-1", 6));
      cqrs.send(new Deposit("a-1", -1));
      Await.until("every deposit handled", () -> meters.timed(HANDLED, "command", "Deposit") == 3);
    }
    assertThatThrownBy(() -> cqrs.send(new Open("a-2")))
        .as("a send to the closed bus")
        .isInstanceOf(IllegalStateException.class);

    assertThat(handled("Deposit", "bank", "succeeded")).isEqualTo(2);
    assertThat(handled("Deposit", "bank", "rejected")).isEqualTo(1);
    assertThat(meters.timed(HANDLED, "component", "direct")).isZero();
    assertThat(dispatched("Open", "succeeded")).isEqualTo(1);
    assertThat(dispatched("Deposit", "succeeded")).isEqualTo(3);
    assertThat(dispatched("Open", "failed")).as("the send to a closed bus").isEqualTo(1);
  }

  @Test
  void an_asynchronous_publish_is_timed_until_the_bus_confirms_it() {
    MockClock clock = new MockClock();
    SimpleMeterRegistry timed = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    Meters reading = new Meters(timed);
    PendingBus pending = new PendingBus();
    CqrsMetrics metrics = CqrsMetrics.of(timed, Tags.of("app", "bank"));
    CommandBus bus = Interceptors.of(metrics).commandBus(pending);

    CompletableFuture<Void> confirmed =
        bus.publishAsync(
            List.of(Command.create(new Deposit("a-1", 1)), Command.create(new Deposit("a-2", 2))));
    clock.add(Duration.ofMillis(250));
    assertThat(reading.timed(DISPATCHED)).as("not confirmed yet").isZero();

    pending.futures.get(0).complete(null);
    assertThat(confirmed).isDone();
    assertThat(
            reading.timed(DISPATCHED, "app", "bank", "command", "Deposit", "outcome", "succeeded"))
        .as("one per command of the call")
        .isEqualTo(2);
    assertThat(
            timed
                .get(DISPATCHED)
                .tags("command", "Deposit", "outcome", "succeeded")
                .timer()
                .totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(2 * 250.0);

    CompletableFuture<Void> refused = bus.publishAsync(List.of(Command.create(new Open("a-3"))));
    pending.futures.get(1).completeExceptionally(new TransientCqrsException("broker away"));
    assertThat(refused).isCompletedExceptionally();
    assertThat(reading.timed(DISPATCHED, "command", "Open", "outcome", "failed")).isEqualTo(1);
    assertThat(reading.timed(DISPATCHED, "command", "Open", "outcome", "succeeded")).isZero();
  }

  @Test
  void an_interceptor_that_throws_inside_the_metrics_counts_the_command_failed_not_rejected() {
    CommandHandlerInterceptor throwing =
        handling -> {
          throw new IllegalArgumentException("the interceptor's own");
        };
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(registry), throwing).build()) {
      Account.handle(cqrs);
      cqrs.start();

      assertThatThrownBy(() -> cqrs.commands().dispatch(Command.create(new Open("a-1"))))
          .isInstanceOf(InterceptorFailedException.class);
    }

    assertThat(handled("Open", "direct", "failed")).isEqualTo(1);
    assertThat(handled("Open", "direct", "rejected")).isZero();
  }

  @Test
  void
      a_command_an_interceptor_inside_the_metrics_never_handed_on_counts_failed_and_dead_letters() {
    CommandHandlerInterceptor skipping = handling -> Outcome.SUCCEEDED;
    InMemoryCommandBus bus = new InMemoryCommandBus(1);
    try (Cqrs cqrs =
        Account.cqrs()
            .service("bank")
            .commandBus(bus)
            .interceptors(CqrsMetrics.of(registry), skipping)
            .build()) {
      Account.handle(cqrs);
      cqrs.start();

      cqrs.send(new Open("a-1"));
      Await.until("the command dead-lettered", () -> !bus.deadLetters().isEmpty());
      assertThat(cqrs.repository().find("a-1", Account::new)).isEmpty();
    } finally {
      bus.close();
    }

    assertThat(handled("Open", "bank", "failed")).isEqualTo(1);
    assertThat(handled("Open", "bank", "succeeded")).isZero();
  }

  private long handled(String command, String component, String outcome) {
    return meters.timed(HANDLED, "command", command, "component", component, "outcome", outcome);
  }

  private long dispatched(String command, String outcome) {
    return meters.timed(DISPATCHED, "command", command, "outcome", outcome);
  }

  /** A command bus whose asynchronous publishes complete when the test says. */
  private static final class PendingBus implements CommandBus {
    final List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();

    @Override
    public void publish(List<Command> commands) {
      throw new UnsupportedOperationException("publishAsync only");
    }

    @Override
    public CompletableFuture<Void> publishAsync(List<Command> commands) {
      CompletableFuture<Void> future = new CompletableFuture<>();
      futures.add(future);
      return future;
    }

    @Override
    public Subscription subscribe(
        String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
      throw new UnsupportedOperationException("publishing only");
    }

    @Override
    public void close() {}
  }
}
