package io.cqrs.spi;

import io.cqrs.Command;

/** Receives one command from a {@link CommandBus}; throwing asks the bus to retry it. */
@FunctionalInterface
public interface CommandConsumer {
  void accept(Command command) throws Exception;
}
