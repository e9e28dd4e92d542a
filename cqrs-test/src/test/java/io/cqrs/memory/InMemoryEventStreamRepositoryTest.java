package io.cqrs.memory;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.EventStreamRepositoryContract;

class InMemoryEventStreamRepositoryTest extends EventStreamRepositoryContract {
  @Override
  protected EventStreamRepository newRepository() {
    return new InMemoryEventStreamRepository();
  }
}
