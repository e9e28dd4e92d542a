package io.cqrs.memory;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.ProcessorDeadLetterContract;

class InMemoryProcessorDeadLetterTest extends ProcessorDeadLetterContract {
  @Override
  protected EventStreamRepository newRepository() {
    return new InMemoryEventStreamRepository();
  }
}
