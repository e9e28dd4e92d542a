package io.cqrs.memory;

import io.cqrs.spi.ProcessorStore;
import io.cqrs.testing.ProcessorStoreContract;

class InMemoryProcessorStoreTest extends ProcessorStoreContract {
  @Override
  protected ProcessorStore store() {
    return new InMemoryEventStreamRepository();
  }
}
