package io.cqrs.memory;

import io.cqrs.spi.CommandBus;
import io.cqrs.testing.CommandBusContract;

class InMemoryCommandBusTest extends CommandBusContract {
  @Override
  protected CommandBus newBus() {
    return new InMemoryCommandBus();
  }
}
