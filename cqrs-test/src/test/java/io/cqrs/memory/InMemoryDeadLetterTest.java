package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Command;
import io.cqrs.MissingHandlerException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the in-memory buses do beyond the contracts: bounded retries and dead letters. */
class InMemoryDeadLetterTest {
  record Ping(int n) {}

  @Test
  void an_event_that_keeps_failing_is_dead_lettered_after_max_attempts_with_the_reason() {
    AtomicInteger attempts = new AtomicInteger();
    try (InMemoryEventBus bus = new InMemoryEventBus(4);
        Subscription ignored =
            bus.subscribe(
                "projection",
                1,
                e -> {
                  attempts.incrementAndGet();
                  throw new IllegalStateException("projection broken");
                })) {
      VersionedEvent event = event();

      bus.publish(List.of(event));

      Await.until("a dead letter", () -> !bus.deadLetters().isEmpty());
      DeadLetter<VersionedEvent> dead = bus.deadLetters().get(0);
      assertThat(dead.message()).isEqualTo(event);
      assertThat(dead.subscription()).isEqualTo("projection");
      assertThat(dead.attempts()).isEqualTo(4);
      assertThat(dead.reason()).isEqualTo("java.lang.IllegalStateException: projection broken");
      assertThat(attempts).hasValue(4);
      Await.until("the bus to be idle", bus::isIdle);
    }
  }

  @Test
  void a_non_transient_framework_failure_is_dead_lettered_without_retry() {
    AtomicInteger attempts = new AtomicInteger();
    try (InMemoryCommandBus bus = new InMemoryCommandBus(5);
        Subscription ignored =
            bus.subscribe(
                "service",
                Set.of("Ping"),
                1,
                c -> {
                  attempts.incrementAndGet();
                  throw new MissingHandlerException("no handler", Object.class, Ping.class);
                })) {
      Command command = Command.create(new Ping(1));

      bus.publish(command);

      Await.until("a dead letter", () -> !bus.deadLetters().isEmpty());
      assertThat(bus.deadLetters().get(0).attempts()).isOne();
      assertThat(bus.deadLetters().get(0).message()).isEqualTo(command);
      assertThat(attempts).hasValue(1);
    }
  }

  @Test
  void a_closed_bus_rejects_publish_and_subscribe() {
    InMemoryEventBus events = new InMemoryEventBus();
    InMemoryCommandBus commands = new InMemoryCommandBus();
    events.close();
    commands.close();

    assertThatThrownBy(() -> events.publish(List.of(event())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> events.subscribe("s", 1, e -> {}))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> commands.subscribe("s", Set.of("Ping"), 1, c -> {}))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void max_attempts_must_be_positive() {
    assertThatThrownBy(() -> new InMemoryEventBus(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> new InMemoryCommandBus(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAttempts");
  }

  private static VersionedEvent event() {
    return new VersionedEvent(
        "e-1", "c-1", null, "s-1", null, null, 1, "Ping", Instant.now(), new Ping(1), Map.of());
  }
}
