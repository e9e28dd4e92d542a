package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.Subscription;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * While the command bus's publishing connection is down, a command request is answered 503 at once:
 * during an adversary's RabbitMQ outage each waited the bus's 30 s publish timeout on a request
 * thread, and {@code /health} took 26 s behind them.
 */
class BrokerDownTest {
  /** An in-memory bus that says, when told, that its publishing connection is down. */
  static final class FlakyBus implements CommandBus {
    final InMemoryCommandBus inner = new InMemoryCommandBus();
    final AtomicInteger published = new AtomicInteger();
    volatile boolean down;

    @Override
    public void publish(List<Command> commands) {
      published.addAndGet(commands.size());
      inner.publish(commands);
    }

    @Override
    public Subscription subscribe(
        String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
      return inner.subscribe(service, commandTypes, listeners, consumer);
    }

    @Override
    public BusHealth health() {
      BusHealth health = inner.health();
      return new BusHealth(
          health.healthy(),
          health.consumers(),
          health.lastFailure(),
          List.of(
              new BusHealth.Connection(
                  "bank-commands/publish",
                  "rabbit:5672",
                  !down,
                  down ? Instant.now() : null,
                  down ? 3 : 0,
                  down ? "Connection refused" : null)));
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Test
  void a_command_is_refused_at_once_while_the_bus_cannot_publish_and_sent_once_it_can()
      throws Exception {
    FlakyBus bus = new FlakyBus();
    InMemoryEventBus events = new InMemoryEventBus();
    try (ServedBank served =
        ServedBank.on(
            BankInfrastructure.of(
                new InMemoryEventStreamRepository(), events, bus, "in memory, flaky commands"),
            true)) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String open =
          "{\"firstName\":\"Ada\",\"lastName\":\"L\",\"email\":\"ada@cqrs.example\","
              + "\"password\":\"$ecretPassw0rd\"}";
      bus.down = true;

      ApiClient.Reply refused = alice.post("/accounts", open);

      assertThat(refused.status()).as(refused.raw().body()).isEqualTo(503);
      assertThat(refused.header("Retry-After")).isNotNull();
      assertThat(bus.published).as("nothing was published").hasValue(0);

      bus.down = false;
      ApiClient.Reply accepted = alice.post("/accounts", open);
      assertThat(accepted.status()).as(accepted.raw().body()).isEqualTo(202);
      assertThat(bus.published).hasValue(1);
    } finally {
      bus.close();
      events.close();
    }
  }
}
