package io.cqrs.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TransientCqrsException;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spring.CqrsAutoConfiguration;
import io.cqrs.spring.TestDomain;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

class CqrsHealthAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(CqrsAutoConfiguration.class, CqrsHealthAutoConfiguration.class))
          .withUserConfiguration(HealthBank.class);

  @Configuration(proxyBeanMethods = false)
  @Import(TestDomain.AccountAggregate.class)
  static class HealthBank {
    @Bean
    TestDomain.DepositHandler depositHandler(EventSourcingRepository accounts) {
      return new TestDomain.DepositHandler(accounts);
    }

    @Bean
    TestDomain.Balances balances() {
      return new TestDomain.Balances();
    }
  }

  @Test
  void store_buses_and_processors_are_up_in_a_running_application() {
    runner.run(
        context -> {
          CompositeHealthContributor cqrs =
              context.getBean("cqrsHealthContributor", CompositeHealthContributor.class);
          for (String part : List.of("store", "commandBus", "eventBus", "processors")) {
            Health health = ((HealthIndicator) cqrs.getContributor(part)).health();
            assertThat(health.getStatus()).as(part).isEqualTo(Status.UP);
          }
          Health commands = indicator(cqrs, "commandBus").health();
          assertThat(commands.getDetails()).containsEntry("consumers", 1);
          assertThat(indicator(cqrs, "processors").health().getDetails())
              .containsKey("processors")
              .containsKey("relay");
        });
  }

  @Test
  void processors_are_down_while_one_lags_more_than_the_maximum_and_up_once_it_caught_up() {
    runner
        .withPropertyValues("cqrs.health.max-lag=0")
        .run(
            context -> {
              HealthIndicator processors =
                  indicator(
                      context.getBean("cqrsHealthContributor", CompositeHealthContributor.class),
                      "processors");
              assertThat(processors.health().getStatus()).isEqualTo(Status.UP);
              TestDomain.Balances projection = context.getBean(TestDomain.Balances.class);
              projection.hold();
              context.getBean(Cqrs.class).send(new TestDomain.Deposit("acc-1", BigDecimal.ONE));
              projection.awaitApplying();

              assertThat(processors.health().getStatus()).isEqualTo(Status.DOWN);

              projection.release();
              Await.until(
                  "the processors' health back UP",
                  () -> processors.health().getStatus().equals(Status.UP));
            });
  }

  @Test
  void a_bus_that_lost_consumers_is_down_with_its_last_failure() {
    Instant at = Instant.parse("2026-01-01T00:00:00Z");
    BusHealth lost =
        new BusHealth(
            false,
            0,
            new BusHealth.Failure("channel closed by the broker", at, false),
            List.of(
                new BusHealth.Connection(
                    "app-commands/consume", "rabbit@node", false, at, 2, "connection reset")));
    Health health = new BusHealthIndicator(() -> lost).health();
    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("consumers", 0);
    assertThat(health.getDetails().get("lastFailure"))
        .isEqualTo(
            Map.of(
                "description",
                "channel closed by the broker",
                "at",
                at.toString(),
                "fatal",
                false));
    assertThat(health.getDetails().get("connections").toString())
        .contains("app-commands/consume", "connected=false", "connection reset");
  }

  /**
   * A store that fails while the lag is read (Couchbase away) makes the processors DOWN with the
   * error; it must not throw out of the indicator, which fails the whole health endpoint and hides
   * every other component's state.
   */
  @Test
  void processors_are_down_with_the_error_when_the_store_cannot_say_their_lag() {
    AtomicBoolean failing = new AtomicBoolean();
    InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();
    EventStreamRepository store =
        new ForwardingEventStreamRepository(memory) {
          @Override
          public long logHead() {
            if (failing.get()) {
              throw new TransientCqrsException("the store is away");
            }
            return super.logHead();
          }
        };
    try (Cqrs cqrs = Cqrs.builder().store(store).relay(false).build()) {
      cqrs.processor(EventProcessor.tracking("rows", store, memory).handler(event -> {}).build());
      cqrs.start();
      ProcessorsHealthIndicator indicator = new ProcessorsHealthIndicator(cqrs, null);
      assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

      failing.set(true);
      Health health = indicator.health();

      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails().get("processors").toString())
          .contains("unknown: ")
          .contains("the store is away");
    }
  }

  /**
   * Each read of an unreachable store waits its timeout: read for every processor and the relay,
   * one after the other, they held the health endpoint for as many timeouts.
   */
  @Test
  void once_the_store_failed_a_lag_read_the_other_processors_lag_is_not_read() {
    AtomicBoolean failing = new AtomicBoolean();
    AtomicInteger failedReads = new AtomicInteger();
    Thread caller = Thread.currentThread();
    InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();
    EventStreamRepository store =
        new ForwardingEventStreamRepository(memory) {
          @Override
          public long logHead() {
            if (failing.get() && Thread.currentThread() == caller) {
              failedReads.incrementAndGet();
              throw new TransientCqrsException("the store is away");
            }
            return super.logHead();
          }
        };
    try (Cqrs cqrs = Cqrs.builder().store(store).relay(false).build()) {
      for (String name : List.of("rows", "totals", "audit")) {
        cqrs.processor(EventProcessor.tracking(name, store, memory).handler(event -> {}).build());
      }
      cqrs.start();
      ProcessorsHealthIndicator indicator = new ProcessorsHealthIndicator(cqrs, null);
      failing.set(true);

      Health health = indicator.health();

      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(failedReads).hasValue(1);
      assertThat(health.getDetails().get("processors").toString())
          .contains("rows={paused=false, lag=unknown: ")
          .contains("totals={paused=false, lag=unknown (not read, as an earlier read failed): ")
          .contains("audit={paused=false, lag=unknown (not read, as an earlier read failed): ");
    }
  }

  @Test
  void the_indicator_can_be_turned_off() {
    runner
        .withPropertyValues("management.health.cqrs.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean("cqrsHealthContributor"));
  }

  @Test
  void an_application_contributor_of_the_same_name_replaces_it() {
    HealthIndicator own = () -> Health.outOfService().build();
    runner
        .withBean("cqrsHealthContributor", HealthIndicator.class, () -> own)
        .run(context -> assertThat(context.getBean("cqrsHealthContributor")).isSameAs(own));
  }

  private static HealthIndicator indicator(CompositeHealthContributor cqrs, String part) {
    return (HealthIndicator) cqrs.getContributor(part);
  }
}
