package io.cqrs.memory;

import io.cqrs.spi.EventBus;
import io.cqrs.testing.EventBusContract;

class InMemoryEventBusTest extends EventBusContract {
  @Override
  protected EventBus newBus() {
    return new InMemoryEventBus();
  }
}
