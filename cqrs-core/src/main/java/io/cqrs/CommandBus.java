package io.cqrs;

import java.util.List;
import java.util.Set;

/**
 * Carries {@link Command}s to the service that handles their type (andrewwebber's {@code
 * CommandPublisher} and {@code CommandReceiver} in one).
 *
 * <p>A command is delivered to exactly one listener of one service that subscribed to its type;
 * instances of one service compete. Delivery is at least once: a consumer that throws gets the
 * command again a bounded number of times, then it is dead-lettered with the reason.
 * Implementations pass {@code io.cqrs.testing.CommandBusContract} and are thread-safe.
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
   * Starts consuming the commands of the given types for a service.
   *
   * @param service the handling service's name; its instances compete for its commands
   * @param commandTypes the logical command types this service handles
   * @param listeners how many commands may be handled at once here
   * @param consumer called for each command; throwing makes the bus retry, then dead-letter
   */
  Subscription subscribe(
      String service, Set<String> commandTypes, int listeners, CommandConsumer consumer);

  /** Stops every subscription of this bus and releases its resources. */
  @Override
  void close();
}
