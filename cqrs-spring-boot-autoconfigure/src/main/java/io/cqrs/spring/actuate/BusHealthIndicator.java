package io.cqrs.spring.actuate;

import io.cqrs.spi.BusHealth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of a command or event bus from its {@link BusHealth}: UP while every listener it
 * started consumes (and, on RabbitMQ, while its connections are up or recovering within the bus's
 * {@code unhealthy-after}), DOWN otherwise. Details: consumers, the last failure and each broker
 * connection (name, node, connected, down since, last error; never credentials).
 */
public final class BusHealthIndicator implements HealthIndicator {
  private final Supplier<BusHealth> health;

  /**
   * An indicator reading {@code health} at each call.
   *
   * @param health the bus's health, such as {@code cqrs.commandBus()::health}
   */
  public BusHealthIndicator(Supplier<BusHealth> health) {
    this.health = Objects.requireNonNull(health, "health");
  }

  @Override
  public Health health() {
    BusHealth bus = health.get();
    Health.Builder builder = bus.healthy() ? Health.up() : Health.down();
    builder.withDetail("consumers", bus.consumers());
    if (bus.lastFailure() != null) {
      builder.withDetail(
          "lastFailure",
          Map.of(
              "description", bus.lastFailure().description(),
              "at", bus.lastFailure().at().toString(),
              "fatal", bus.lastFailure().fatal()));
    }
    if (!bus.connections().isEmpty()) {
      builder.withDetail("connections", connections(bus.connections()));
    }
    return builder.build();
  }

  private static List<Map<String, Object>> connections(List<BusHealth.Connection> connections) {
    return connections.stream()
        .map(
            connection -> {
              Map<String, Object> details = new LinkedHashMap<>();
              details.put("name", connection.name());
              details.put("node", Objects.requireNonNullElse(connection.node(), ""));
              details.put("connected", connection.connected());
              if (connection.downSince() != null) {
                details.put("downSince", connection.downSince().toString());
                details.put("failedAttempts", connection.failedAttempts());
              }
              if (connection.lastError() != null) {
                details.put("lastError", connection.lastError());
              }
              return details;
            })
        .toList();
  }
}
