package com.example;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.EventStreamRepositoryContract;

/** The store contract, run as an adapter author runs it: one subclass, one method. */
class InMemoryStoreContractTest extends EventStreamRepositoryContract {
  @Override
  protected EventStreamRepository newRepository() {
    return new InMemoryEventStreamRepository();
  }
}
