package io.cqrs.rabbitmq;

import io.cqrs.EventSerializer;
import io.cqrs.spi.EventBus;
import io.cqrs.testing.EventBusContract;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** {@link RabbitEventBus} keeps the {@link EventBusContract}, each test in its own namespace. */
class RabbitEventBusIT extends EventBusContract {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  /** The type of the queues the buses of this class declare; a subclass runs it on another. */
  protected QueueType queueType() {
    return QueueType.CLASSIC;
  }

  private final Map<EventBus, RabbitNamespace> namespaces = new IdentityHashMap<>();

  @Override
  protected EventBus newBus() {
    return instanceIn(RabbitTestBroker.get().newNamespace("event-contract", queueType()));
  }

  @Override
  protected EventBus secondInstanceOf(EventBus bus) {
    return instanceIn(namespaces.get(bus));
  }

  private synchronized EventBus instanceIn(RabbitNamespace namespace) {
    RabbitEventBus bus =
        namespace.track(
            namespace
                .eventBusBuilder(new EventSerializer(contractTypes()))
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
