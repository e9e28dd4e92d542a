package io.cqrs.testing;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * The command types {@link CommandBusContract} publishes. Buses that serialize build their {@code
 * EventSerializer} from {@link CommandBusContract#contractCommandTypes()}, which holds these.
 */
public final class ContractCommands {
  private ContractCommands() {}

  /**
   * A command for the first service of a test.
   *
   * @param text free text; {@code "poison"} marks a command the consumer always fails on
   * @param number a sequence number within a test
   */
  public record DoThis(String text, int number) {}

  /** A command for a second service, with values that are easy to lose in JSON. */
  public record DoThat(long count, BigDecimal amount, Instant at) {}

  /** A command type no service of the suite ever subscribes to. */
  public record DoNobodysJob(String text) {}
}
