package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Cqrs;
import io.cqrs.micrometer.CqrsMetrics;
import io.cqrs.spring.TestDomain.Deposit;
import io.cqrs.testing.Await;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class CqrsMetricsAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  CqrsAutoConfiguration.class, CqrsMetricsAutoConfiguration.class))
          .withUserConfiguration(CqrsAutoConfigurationTest.Bank.class);

  @Test
  void with_a_meter_registry_commands_events_and_processor_lag_are_measured_in_it() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              assertThat(context).hasSingleBean(CqrsMetrics.class);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              context.getBean(Cqrs.class).send(new Deposit("acc-1", BigDecimal.ONE));
              Await.until(
                  "the command counted",
                  () ->
                      registry.find("cqrs.commands.handled").tag("command", "Deposit").timer()
                          != null);
              assertThat(registry.find("cqrs.processor.lag").tag("processor", "balances").gauge())
                  .isNotNull();
              assertThat(registry.find("cqrs.relay.lag").gauge()).isNotNull();
            });
  }

  @Test
  void without_a_meter_registry_there_are_no_metrics() {
    runner.run(context -> assertThat(context).doesNotHaveBean(CqrsMetrics.class));
  }

  @Test
  void the_applications_own_cqrs_metrics_replaces_the_auto_configured_one() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CqrsMetrics own = CqrsMetrics.of(registry);
    runner
        .withBean(MeterRegistry.class, () -> registry)
        .withBean(CqrsMetrics.class, () -> own)
        .run(
            context -> {
              assertThat(context).hasSingleBean(CqrsMetrics.class);
              assertThat(context.getBean(CqrsMetrics.class)).isSameAs(own);
              context.getBean(Cqrs.class).send(new Deposit("acc-2", BigDecimal.ONE));
              Await.until(
                  "the command counted by the application's metrics",
                  () -> registry.find("cqrs.commands.handled").timer() != null);
            });
  }
}
