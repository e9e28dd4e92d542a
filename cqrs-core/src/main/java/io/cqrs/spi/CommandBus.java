package io.cqrs.spi;

import io.cqrs.Command;
import io.cqrs.TransientCqrsException;
import io.cqrs.UnroutableMessageException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Carries {@link Command}s to the service that handles their type (andrewwebber's {@code
 * CommandPublisher} and {@code CommandReceiver} in one).
 *
 * <p>A command is delivered to exactly one listener of one service that subscribed to its type;
 * instances of one service compete. Delivery is at least once: a consumer that throws gets the
 * command again a bounded number of times, then it is dead-lettered with the reason, and the
 * listener goes on; this holds for any {@link Throwable} a consumer throws, {@code Error}s
 * included, except the fatal ones ({@link BusHealth#isFatal}), which stop the bus's consumers and
 * show in {@link #health()}. Implementations pass {@code io.cqrs.testing.CommandBusContract} and
 * are thread-safe.
 */
public interface CommandBus extends AutoCloseable {

  /**
   * Publishes commands in order; returns once the bus has accepted all of them durably.
   *
   * @throws UnroutableMessageException if no service has subscribed to a command's type
   * @throws TransientCqrsException if the bus is unavailable
   */
  void publish(List<Command> commands);

  /** Publishes one command. */
  default void publish(Command command) {
    publish(List.of(command));
  }

  /**
   * Publishes commands in order without waiting for the bus: the future completes once the bus has
   * accepted all of them durably, or fails with the {@link UnroutableMessageException} or {@link
   * TransientCqrsException} that {@link #publish(List)} would have thrown. What is wrong with the
   * call itself (a null command, a closed bus) is thrown at once and publishes nothing.
   *
   * <p>A broker bus returns at once (it may wait while too many messages await the broker's
   * confirms, as back-pressure); the default, for buses that accept commands synchronously anyway,
   * publishes on the calling thread and returns a completed future.
   */
  default CompletableFuture<Void> publishAsync(List<Command> commands) {
    Objects.requireNonNull(commands, "commands");
    try {
      publish(commands);
      return CompletableFuture.completedFuture(null);
    } catch (TransientCqrsException | UnroutableMessageException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Publishes one command without waiting for the bus; see {@link #publishAsync(List)}. */
  default CompletableFuture<Void> publishAsync(Command command) {
    return publishAsync(List.of(command));
  }

  /**
   * Starts consuming the commands of the given types for a service.
   *
   * @param service the handling service's name; its instances compete for its commands
   * @param commandTypes the logical command types this service handles
   * @param listeners how many commands may be handled at once here
   * @param consumer called for each command; throwing makes the bus retry, then dead-letter (a
   *     fatal error stops the bus instead, see {@link BusHealth})
   */
  Subscription subscribe(
      String service, Set<String> commandTypes, int listeners, CommandConsumer consumer);

  /**
   * How this bus's consumers are doing: whether every listener it started consumes, how many do,
   * and the last failure that took consumers away (see {@link BusHealth} for which failures stop a
   * bus). Cheap and thread-safe, for readiness checks.
   *
   * <p>The default, for buses that run no consumers of their own (test doubles, publishing-only
   * wrappers), reports healthy with no consumers; a bus that runs consumers overrides it.
   */
  default BusHealth health() {
    return BusHealth.healthy(0);
  }

  /** Stops every subscription of this bus and releases its resources. */
  @Override
  void close();
}
