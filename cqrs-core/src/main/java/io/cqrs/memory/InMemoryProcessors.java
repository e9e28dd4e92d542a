package io.cqrs.memory;

import io.cqrs.spi.ProcessorStore;

/**
 * Processor stores kept in this process's memory, for processors whose checkpoints must not outlive
 * it ({@link io.cqrs.EventProcessor#local}).
 */
public final class InMemoryProcessors {
  private InMemoryProcessors() {}

  /** A new, empty processor store in this process's memory: checkpoints, claims and members. */
  public static ProcessorStore create() {
    return new ProcessorTable();
  }
}
