package io.cqrs.spring.actuate;

import io.cqrs.Cqrs;
import io.cqrs.spring.CqrsAutoConfiguration;
import io.cqrs.spring.CqrsProperties;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * The {@code cqrs} health contributor, with Spring Boot's health support (Actuator) present: {@code
 * store}, {@code commandBus}, {@code eventBus} and {@code processors} ({@link
 * StoreHealthIndicator}, {@link BusHealthIndicator}, {@link ProcessorsHealthIndicator}). Turned off
 * with {@code management.health.cqrs.enabled=false}; replaced by a bean named {@code
 * cqrsHealthContributor}.
 */
@AutoConfiguration(after = CqrsAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthContributor")
@ConditionalOnBean(Cqrs.class)
@ConditionalOnEnabledHealthIndicator("cqrs")
public class CqrsHealthAutoConfiguration {

  /** The auto-configuration; Spring creates it. */
  public CqrsHealthAutoConfiguration() {}

  /** The composite of the store's, the buses' and the processors' health. */
  @Bean
  @ConditionalOnMissingBean(name = "cqrsHealthContributor")
  public CompositeHealthContributor cqrsHealthContributor(Cqrs cqrs, CqrsProperties properties) {
    Map<String, HealthContributor> parts = new LinkedHashMap<>();
    parts.put("store", new StoreHealthIndicator(cqrs.store()));
    parts.put("commandBus", new BusHealthIndicator(cqrs.commandBus()::health));
    parts.put("eventBus", new BusHealthIndicator(cqrs.eventBus()::health));
    parts.put(
        "processors", new ProcessorsHealthIndicator(cqrs, properties.getHealth().getMaxLag()));
    return CompositeHealthContributor.fromMap(parts);
  }
}
