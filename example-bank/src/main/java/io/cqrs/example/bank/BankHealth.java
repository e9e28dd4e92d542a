package io.cqrs.example.bank;

import io.cqrs.EventProcessor;
import io.cqrs.spi.BusHealth;
import java.util.List;
import java.util.Objects;

/**
 * How the bank's two buses and its event processors are doing: what the HTTP readiness check
 * answers, and what makes {@code serve} and {@code worker} exit so that their supervisor restarts
 * them.
 *
 * @param commandBus the command bus's health
 * @param eventBus the event bus's health
 * @param processors the event processors this instance runs (none for the buses alone)
 */
public record BankHealth(BusHealth commandBus, BusHealth eventBus, List<Processor> processors) {
  public BankHealth {
    Objects.requireNonNull(commandBus, "commandBus");
    Objects.requireNonNull(eventBus, "eventBus");
    processors = List.copyOf(processors);
  }

  /** The buses' health, with no processors. */
  public BankHealth(BusHealth commandBus, BusHealth eventBus) {
    this(commandBus, eventBus, List.of());
  }

  /**
   * One event processor of this instance.
   *
   * @param name its name
   * @param paused whether {@link EventProcessor#pause()} holds it
   * @param failure why it stopped handling in this process ({@link EventProcessor#failure()}), or
   *     {@code null} while all is well
   */
  public record Processor(String name, boolean paused, String failure) {
    /** What {@code processor} says now. */
    public static Processor of(EventProcessor processor) {
      Throwable failure = processor.failure();
      return new Processor(
          processor.name(), processor.isPaused(), failure == null ? null : failure.toString());
    }
  }

  /**
   * Whether every listener of both buses consumes and no processor has stopped on a failure: the
   * instance can take work and keeps its read models and processes going. (A processor paused on
   * purpose, for a rebuild, keeps the instance ready.)
   */
  public boolean ready() {
    return commandBus.healthy()
        && eventBus.healthy()
        && processors.stream().allMatch(processor -> processor.failure() == null);
  }

  /**
   * Whether a bus lost consumers it cannot bring back (a handler's fatal error, or a consumer the
   * broker cancelled): only a restart of the process helps.
   */
  public boolean needsRestart() {
    return commandBus.needsRestart() || eventBus.needsRestart();
  }

  /** Both buses, and any failed processor, in one line, for logs and error output. */
  public String describe() {
    String buses = "command bus " + describe(commandBus) + "; event bus " + describe(eventBus);
    for (Processor processor : processors) {
      if (processor.failure() != null) {
        buses += "; processor " + processor.name() + " failed: " + processor.failure();
      }
    }
    return buses;
  }

  private static String describe(BusHealth bus) {
    String state =
        (bus.healthy() ? "healthy" : "unhealthy") + ", " + bus.consumers() + " consumer(s)";
    for (BusHealth.Connection connection : bus.connections()) {
      state +=
          connection.connected()
              ? ", " + connection.name() + " on " + connection.node()
              : ", "
                  + connection.name()
                  + " down since "
                  + connection.downSince()
                  + " ("
                  + connection.failedAttempts()
                  + " failed attempt(s): "
                  + connection.lastError()
                  + ")";
    }
    BusHealth.Failure failure = bus.lastFailure();
    return failure == null
        ? state
        : state
            + ", last failure at "
            + failure.at()
            + (failure.fatal() ? " (fatal): " : ": ")
            + failure.description();
  }
}
