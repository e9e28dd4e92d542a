package io.cqrs.spi;

import io.cqrs.Command;

/** Receives one command from a {@link CommandBus}; throwing asks the bus to retry it. */
@FunctionalInterface
public interface CommandConsumer {
  /**
   * Handles one delivery of {@code command}; returning acknowledges it.
   *
   * @throws Exception to have the bus redeliver the command (a bounded number of times, then
   *     dead-letter it), unless the throwable is fatal (see {@link BusHealth})
   */
  void accept(Command command) throws Exception;
}
