package io.cqrs.memory;

import io.cqrs.TypeRegistry;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.CommandDeduplicationContract;

class InMemoryCommandDeduplicationTest extends CommandDeduplicationContract {
  @Override
  protected EventStreamRepository newStore(TypeRegistry types) {
    return new InMemoryEventStreamRepository();
  }
}
