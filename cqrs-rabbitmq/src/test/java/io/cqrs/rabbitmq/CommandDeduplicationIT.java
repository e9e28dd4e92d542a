package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import io.cqrs.testing.CommandDeduplicationContract.Add;
import io.cqrs.testing.CommandDeduplicationContract.Added;
import io.cqrs.testing.CommandDeduplicationContract.Counter;
import io.cqrs.testing.DuplicatedCommands;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once effect of commands through RabbitMQ: every command published two or three times,
 * shuffled, to two competing services' worth of listeners on hot aggregates, while the broker
 * force-closes every connection of the test mid-run (so deliveries in flight are redelivered). Each
 * command must take effect exactly once, counted by causation id in the store.
 */
class CommandDeduplicationIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private static final int COMMANDS = 600;
  private static final int HOT = 5;
  private static final String SERVICE = "counters";

  private final TypeRegistry types =
      new TypeRegistry().registerAggregate(Counter.class, Added.class).registerCommands(Add.class);
  private final EventSerializer serializer = new EventSerializer(types);
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final AtomicInteger running = new AtomicInteger();
  private RabbitNamespace namespace;
  private String queue;

  @BeforeEach
  void createNamespace() {
    namespace = RabbitTestBroker.get().newNamespace("dedup");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void commands_delivered_several_times_while_connections_are_force_closed_take_effect_once() {
    namespace.requireAdmin();
    for (int worker = 0; worker < 2; worker++) {
      listen(bus());
    }
    RabbitCommandBus publisher = bus();
    String deadLetters = publisher.deadLetterQueue(SERVICE);
    queue = deadLetters.substring(0, deadLetters.length() - ".dlq".length());
    DuplicatedCommands load = DuplicatedCommands.of(COMMANDS, HOT, 12);
    List<Command> sent = load.sent();
    List<Command> deliveries = load.deliveries();

    publisher.publish(deliveries.subList(0, deliveries.size() / 2));
    Await.until(
        Duration.ofSeconds(60),
        () -> effects().size() + " commands took effect before the fault",
        () -> effects().size() >= COMMANDS / 5);
    assertThat(namespace.forceCloseConnections()).isPositive();
    publisher.publish(deliveries.subList(deliveries.size() / 2, deliveries.size()));

    Await.until(
        Duration.ofSeconds(120),
        () -> effects().size() + " of " + COMMANDS + " commands took effect",
        () -> effects().size() == COMMANDS && settled());
    Map<String, Integer> effects = effects();
    for (Command add : sent) {
      assertThat(effects.get(add.messageId())).as("effects of %s", add.messageId()).isEqualTo(1);
    }
    assertThat(effects).hasSize(COMMANDS);
    assertThat(publisher.deadLetterCount(SERVICE)).isZero();
  }

  private RabbitCommandBus bus() {
    return namespace.track(
        namespace
            .commandBusBuilder(serializer)
            .retryDelays(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400))
            .build());
  }

  private void listen(RabbitCommandBus bus) {
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, types)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
    CommandDispatchManager.builder(bus, types)
        .maxAttempts(3)
        .maxBackoff(Duration.ofMillis(5))
        .build()
        .registerCommandHandler(
            Add.class,
            (add, envelope) -> {
              running.incrementAndGet();
              try {
                Counter counter =
                    repository
                        .find(add.counterId(), Counter::new)
                        .orElseGet(() -> new Counter(add.counterId()));
                counter.add(add.amount());
                repository.save(counter, envelope);
              } finally {
                running.decrementAndGet();
              }
            })
        .listen(SERVICE, 4);
  }

  /** Effects per command id: events caused by it, over every hot stream. */
  private Map<String, Integer> effects() {
    Map<String, Integer> effects = new HashMap<>();
    for (int h = 0; h < HOT; h++) {
      for (VersionedEvent event : store.load("hot-" + h)) {
        effects.merge(event.causationId(), 1, Integer::sum);
      }
    }
    return effects;
  }

  /** Nothing left in the service's queue or its retry queues, and no handler running. */
  private boolean settled() {
    long waiting =
        namespace.withChannel(
            channel -> {
              long count = channel.messageCount(queue);
              for (Duration delay :
                  List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400))) {
                count += channel.messageCount(Names.retryQueue(queue, delay));
              }
              return count;
            });
    return waiting == 0 && running.get() == 0;
  }
}
