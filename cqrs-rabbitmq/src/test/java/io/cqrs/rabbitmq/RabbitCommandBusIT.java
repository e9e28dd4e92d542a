package io.cqrs.rabbitmq;

import io.cqrs.EventSerializer;
import io.cqrs.spi.CommandBus;
import io.cqrs.testing.CommandBusContract;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RabbitCommandBus} keeps the {@link CommandBusContract}, each test in its own namespace.
 */
class RabbitCommandBusIT extends CommandBusContract {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  /** The type of the queues the buses of this class declare; a subclass runs it on another. */
  protected QueueType queueType() {
    return QueueType.CLASSIC;
  }

  private final Map<CommandBus, RabbitNamespace> namespaces = new IdentityHashMap<>();

  @Override
  protected CommandBus newBus() {
    return instanceIn(RabbitTestBroker.get().newNamespace("command-contract", queueType()));
  }

  @Override
  protected CommandBus secondInstanceOf(CommandBus bus) {
    return instanceIn(namespaces.get(bus));
  }

  private synchronized CommandBus instanceIn(RabbitNamespace namespace) {
    RabbitCommandBus bus =
        namespace.track(
            namespace
                .commandBusBuilder(new EventSerializer(contractCommandTypes()))
                .retryDelays(Duration.ofMillis(200), Duration.ofMillis(400))
                .build());
    namespaces.put(bus, namespace);
    return bus;
  }

  @AfterEach
  synchronized void deleteNamespaces() {
    namespaces.values().stream().distinct().forEach(RabbitNamespace::close);
  }
}
