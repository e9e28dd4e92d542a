package io.cqrs.example.bank;

import io.cqrs.spi.BusHealth;
import java.util.Objects;

/**
 * How the bank's two buses are doing: what the HTTP readiness check answers, and what makes {@code
 * serve} and {@code worker} exit so that their supervisor restarts them.
 *
 * @param commandBus the command bus's health
 * @param eventBus the event bus's health
 */
public record BankHealth(BusHealth commandBus, BusHealth eventBus) {
  public BankHealth {
    Objects.requireNonNull(commandBus, "commandBus");
    Objects.requireNonNull(eventBus, "eventBus");
  }

  /** Whether every listener of both buses consumes: the instance can take work. */
  public boolean ready() {
    return commandBus.healthy() && eventBus.healthy();
  }

  /**
   * Whether a bus lost consumers it cannot bring back (a handler's fatal error, or a consumer the
   * broker cancelled): only a restart of the process helps.
   */
  public boolean needsRestart() {
    return commandBus.needsRestart() || eventBus.needsRestart();
  }

  /** Both buses in one line, for logs and error output. */
  public String describe() {
    return "command bus " + describe(commandBus) + "; event bus " + describe(eventBus);
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
