package io.cqrs.memory;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.RelayStoreContract;

class InMemoryRelayStoreTest extends RelayStoreContract {
  @Override
  protected EventStreamRepository newStore() {
    return new InMemoryEventStreamRepository();
  }
}
