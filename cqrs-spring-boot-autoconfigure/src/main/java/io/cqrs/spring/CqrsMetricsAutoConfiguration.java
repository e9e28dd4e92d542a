package io.cqrs.spring;

import io.cqrs.Cqrs;
import io.cqrs.micrometer.CqrsMetrics;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.spi.CommandBus;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * cqrs's metrics in the application's Micrometer registry (Spring Boot's, with Actuator): {@link
 * CqrsMetrics} runs as an interceptor of the {@link Cqrs}, and once the context's processors are
 * registered its gauges are bound (processor and relay lag, the aggregate cache, and the
 * dead-letter queues of the command service on RabbitMQ). Needs {@code io.cqrs:cqrs-micrometer}.
 */
@AutoConfiguration(
    before = CqrsAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"
    })
@ConditionalOnClass(
    name = {"io.cqrs.micrometer.CqrsMetrics", "io.micrometer.core.instrument.MeterRegistry"})
@ConditionalOnBean(MeterRegistry.class)
public class CqrsMetricsAutoConfiguration {

  /** The auto-configuration; Spring creates it. */
  public CqrsMetricsAutoConfiguration() {}

  /** The metrics interceptor on the application's registry. */
  @Bean
  @ConditionalOnMissingBean
  public CqrsMetrics cqrsMetrics(MeterRegistry registry) {
    return CqrsMetrics.of(registry);
  }

  /**
   * Binds the gauges after every other configurer registered its processors: processor and relay
   * lag, the cache, and the command service's dead letters on RabbitMQ.
   */
  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  public CqrsConfigurer cqrsMetricsBinder(
      CqrsMetrics metrics, CqrsProperties properties, ObjectProvider<CommandBus> commandBus) {
    return new CqrsConfigurer() {
      @Override
      public void register(Cqrs cqrs) {
        metrics.bind(cqrs);
        bindDeadLetters(metrics, properties, commandBus.getIfUnique());
      }
    };
  }

  private static void bindDeadLetters(
      CqrsMetrics metrics, CqrsProperties properties, CommandBus commandBus) {
    if (isPresent("io.cqrs.rabbitmq.RabbitCommandBus")
        && commandBus instanceof RabbitCommandBus rabbit) {
      metrics.bindCommandDeadLetters(properties.getService(), rabbit::deadLetterCount);
    }
  }

  private static boolean isPresent(String className) {
    return org.springframework.util.ClassUtils.isPresent(
        className, CqrsMetricsAutoConfiguration.class.getClassLoader());
  }
}
