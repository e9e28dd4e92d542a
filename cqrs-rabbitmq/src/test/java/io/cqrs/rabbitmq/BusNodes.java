package io.cqrs.rabbitmq;

import io.cqrs.spi.BusHealth;

/** Which broker node a bus's connection is on, as its {@code health()} reports it. */
final class BusNodes {
  private BusNodes() {}

  /**
   * The node ({@code host:port}) that the bus's connection whose name ends in {@code suffix}
   * ({@code /publish}, {@code /consume}) is connected to now, or {@code null} while it is down.
   */
  static String connectedNode(RabbitEventBus bus, String suffix) {
    for (BusHealth.Connection connection : bus.health().connections()) {
      if (connection.name().endsWith(suffix) && connection.connected()) {
        return connection.node();
      }
    }
    return null;
  }
}
