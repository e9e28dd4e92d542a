package io.cqrs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.interceptor.Outcome;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.micrometer.Account.Deposit;
import io.cqrs.micrometer.Account.Deposited;
import io.cqrs.micrometer.Account.Open;
import io.cqrs.testing.Await;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventMetricsTest {
  private static final String HANDLED = "cqrs.events.handled";
  private static final long POISON = 13;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Meters meters = new Meters(registry);

  @Test
  void a_poison_event_in_a_subscription_counts_each_attempt_and_the_dead_letter_queue_shows_it()
      throws Exception {
    CqrsMetrics metrics = CqrsMetrics.of(registry);
    try (InMemoryEventBus bus = new InMemoryEventBus(3);
        Cqrs cqrs = Account.cqrs().eventBus(bus).interceptors(metrics).build()) {
      Account.handle(cqrs);
      cqrs.onEvent(
          "audit",
          Deposited.class,
          event -> {
            if (event.eventAs(Deposited.class).amount() == POISON) {
              throw new IllegalStateException("poison");
            }
          });
      metrics.bindEventDeadLetters(
          "audit",
          subscription ->
              bus.deadLetters().stream()
                  .filter(d -> d.subscription().equals(subscription))
                  .count());
      cqrs.start();

      dispatch(cqrs, new Open("a-1"));
      dispatch(cqrs, new Deposit("a-1", 5));
      dispatch(cqrs, new Deposit("a-1", POISON));
      dispatch(cqrs, new Deposit("a-1", 6));
      Await.until(
          "the poison dead-lettered and every event handled",
          () ->
              meters.gauge("cqrs.events.dead.letters", "component", "audit") == 1 && bus.isIdle());
    }

    assertThat(handled("Opened", "audit", "succeeded")).isEqualTo(1);
    assertThat(handled("Deposited", "audit", "succeeded")).isEqualTo(2);
    assertThat(handled("Deposited", "audit", "rejected")).as("three attempts").isEqualTo(3);
    assertThat(meters.timed(HANDLED)).isEqualTo(6);
  }

  @Test
  void a_poison_event_in_a_tracking_processor_counts_each_attempt_and_one_dead_letter()
      throws Exception {
    CqrsMetrics metrics = CqrsMetrics.of(registry);
    try (Cqrs cqrs = Account.cqrs().interceptors(metrics).build()) {
      Account.handle(cqrs);
      cqrs.processor(
          EventProcessor.tracking("ledger", cqrs.store())
              .handler(
                  event -> {
                    if (event.event() instanceof Deposited deposited
                        && deposited.amount() == POISON) {
                      throw new IllegalStateException("poison");
                    }
                  })
              .maxAttempts(2)
              .idleWait(Duration.ofMillis(10))
              .interceptors(cqrs.interceptors())
              .build());
      metrics.bind(cqrs);
      cqrs.start();

      dispatch(cqrs, new Open("a-1"));
      dispatch(cqrs, new Deposit("a-1", 5));
      dispatch(cqrs, new Deposit("a-1", POISON));
      dispatch(cqrs, new Deposit("a-1", 6));
      // The dead letter is an entry of the log too, which the processor reads back.
      Await.until(
          "the processor past its own dead letter",
          () -> handled("EventProcessingFailed", "ledger", "succeeded") == 1);
    }

    assertThat(meters.counted("cqrs.processor.dead.letters", "processor", "ledger")).isEqualTo(1);
    assertThat(handled("Opened", "ledger", "succeeded")).isEqualTo(1);
    assertThat(handled("Deposited", "ledger", "succeeded")).isEqualTo(2);
    assertThat(handled("Deposited", "ledger", "rejected")).as("maxAttempts(2)").isEqualTo(2);
    assertThat(meters.timed(HANDLED)).isEqualTo(6);
  }

  @Test
  void an_asynchronous_handler_is_timed_until_its_stage_completes_and_fails_with_it()
      throws Exception {
    MockClock clock = new MockClock();
    SimpleMeterRegistry timed = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    Meters meters = new Meters(timed);
    List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
    AtomicBoolean holding = new AtomicBoolean(true);
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(timed)).build()) {
      Account.handle(cqrs);
      cqrs.processor(
          EventProcessor.tracking("process", cqrs.store())
              .asyncHandler(
                  event -> {
                    if (!(event.event() instanceof Deposited) || !holding.get()) {
                      return CompletableFuture.completedFuture(null);
                    }
                    CompletableFuture<Void> stage = new CompletableFuture<>();
                    held.add(stage);
                    return stage;
                  })
              .maxAttempts(3)
              .idleWait(Duration.ofMillis(10))
              .interceptors(cqrs.interceptors())
              .build());
      cqrs.start();
      dispatch(cqrs, new Open("a-1"));
      dispatch(cqrs, new Deposit("a-1", 5));
      dispatch(cqrs, new Deposit("a-1", 6));

      // The second deposit's work started after the first one's handling returned.
      Await.until("both deposits started", () -> held.size() == 2);
      assertThat(meters.timed(HANDLED, "event", "Deposited"))
          .as("no handling ends before its stage")
          .isZero();
      clock.add(Duration.ofSeconds(3));
      held.get(0).complete(null);
      holding.set(false); // the retry of the second completes at once
      held.get(1).completeExceptionally(new IllegalStateException("refused downstream"));

      Await.until(
          "the second deposit retried", () -> handled(meters, "Deposited", "succeeded") == 2);
    }
    Timer first =
        timed
            .find(HANDLED)
            .tags("event", "Deposited", "component", "process", "outcome", "succeeded")
            .timer();
    assertThat(first.totalTime(TimeUnit.SECONDS))
        .as("timed until completion")
        .isGreaterThanOrEqualTo(3);
    assertThat(handled(meters, "Deposited", "rejected")).as("the failed stage").isEqualTo(1);
    assertThat(handled(meters, "Opened", "succeeded")).isEqualTo(1);
  }

  @Test
  void an_event_an_interceptor_inside_the_metrics_never_handed_on_counts_as_failed()
      throws Exception {
    EventHandlerInterceptor skippingDeposits =
        handling ->
            handling.message().event() instanceof Deposited
                ? Outcome.SUCCEEDED
                : handling.proceed();
    AtomicInteger deposits = new AtomicInteger();
    try (Cqrs cqrs = Account.cqrs().build()) {
      Account.handle(cqrs);
      TrackingEventProcessor processor =
          EventProcessor.tracking("ledger", cqrs.store())
              .handler(
                  event -> {
                    if (event.event() instanceof Deposited) {
                      deposits.incrementAndGet();
                    }
                  })
              .maxAttempts(2)
              .idleWait(Duration.ofMillis(10))
              .interceptors(Interceptors.of(CqrsMetrics.of(registry), skippingDeposits))
              .build();
      cqrs.processor(processor);
      cqrs.start();

      dispatch(cqrs, new Open("a-1"));
      dispatch(cqrs, new Deposit("a-1", 5));
      Await.until("the deposit dead-lettered", () -> processor.deadLettered() == 1);
    }

    assertThat(deposits).as("the handler never saw it").hasValue(0);
    assertThat(handled("Deposited", "ledger", "failed")).as("maxAttempts(2)").isEqualTo(2);
    assertThat(handled("Deposited", "ledger", "succeeded")).isZero();
  }

  private static long handled(Meters meters, String event, String outcome) {
    return meters.timed(HANDLED, "event", event, "component", "process", "outcome", outcome);
  }

  private static void dispatch(Cqrs cqrs, Object body) throws Exception {
    cqrs.commands().dispatch(Command.create(body));
  }

  private long handled(String event, String component, String outcome) {
    return meters.timed(HANDLED, "event", event, "component", component, "outcome", outcome);
  }
}
