package io.cqrs.testing;

import io.cqrs.spi.BusHealth;

/** What the bus contracts compare of a {@link BusHealth}: everything but the broker connections. */
final class BusHealths {
  private BusHealths() {}

  /** The health without its connections, which only buses with a broker have. */
  static BusHealth consumersOf(BusHealth health) {
    return new BusHealth(health.healthy(), health.consumers(), health.lastFailure());
  }
}
