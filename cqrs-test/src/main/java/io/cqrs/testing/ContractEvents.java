package io.cqrs.testing;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * The event types the contract suites write and publish. Stores and buses that serialize build
 * their {@code EventSerializer} from {@link EventStreamRepositoryContract#contractTypes()} or
 * {@link EventBusContract#contractTypes()}, which hold these.
 */
public final class ContractEvents {
  private ContractEvents() {}

  /**
   * A plain event.
   *
   * @param text free text; the bus suites use it to mark events that a consumer should fail on
   * @param number a number, usually a sequence number within a test
   */
  public record Happened(String text, int number) {}

  /**
   * An event with values that are easy to lose in JSON: a long beyond double precision, a
   * BigDecimal with many digits and a trailing zero (its scale must survive: 1.50 is not equal to
   * 1.5) and an Instant with nanoseconds.
   */
  public record Counted(long count, BigDecimal amount, Instant at) {}
}
