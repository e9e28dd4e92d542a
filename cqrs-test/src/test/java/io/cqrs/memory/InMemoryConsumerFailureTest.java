package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.BusHealth;
import io.cqrs.testing.Await;
import io.cqrs.testing.ConsumerFailure;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of {@link Throwable} a consumer of an in-memory bus throws: beyond the contracts, the
 * dead letter names the failure, and after a fatal error the message is kept, not dead-lettered.
 */
class InMemoryConsumerFailureTest {
  record Ping(int n) {}

  @ParameterizedTest
  @EnumSource(mode = EnumSource.Mode.EXCLUDE, names = "OUT_OF_MEMORY_ERROR")
  void a_non_fatal_throwable_dead_letters_the_event_after_every_attempt_and_later_ones_flow(
      ConsumerFailure failure) {
    AtomicInteger poisonAttempts = new AtomicInteger();
    Set<String> handled = ConcurrentHashMap.newKeySet();
    VersionedEvent poison = event(0);
    try (InMemoryEventBus bus = new InMemoryEventBus(3)) {
      bus.subscribe(
          "projection",
          1,
          event -> {
            if (event.id().equals(poison.id())) {
              poisonAttempts.incrementAndGet();
              failure.throwIt();
            }
            handled.add(event.id());
          });

      bus.publish(List.of(poison, event(1), event(2)));

      Await.until("the later events", () -> handled.size() == 2);
      Await.until("the bus to be idle", bus::isIdle);
      assertThat(bus.deadLetters()).hasSize(1);
      DeadLetter<VersionedEvent> dead = bus.deadLetters().get(0);
      assertThat(dead.message()).isEqualTo(poison);
      assertThat(dead.attempts()).isEqualTo(3);
      assertThat(dead.reason()).startsWith(failure.type().getName());
      assertThat(poisonAttempts).hasValue(3);
      assertThat(bus.health()).isEqualTo(BusHealth.healthy(1));
    }
  }

  @ParameterizedTest
  @EnumSource(mode = EnumSource.Mode.EXCLUDE, names = "OUT_OF_MEMORY_ERROR")
  void a_non_fatal_throwable_dead_letters_the_command_and_later_ones_flow(ConsumerFailure failure) {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    Command poison = Command.create(new Ping(0));
    try (InMemoryCommandBus bus = new InMemoryCommandBus(2)) {
      bus.subscribe(
          "service",
          Set.of("Ping"),
          1,
          command -> {
            if (command.messageId().equals(poison.messageId())) {
              failure.throwIt();
            }
            handled.add(command.messageId());
          });

      bus.publish(List.of(poison, Command.create(new Ping(1)), Command.create(new Ping(2))));

      Await.until("the later commands", () -> handled.size() == 2);
      Await.until("the bus to be idle", bus::isIdle);
      assertThat(bus.deadLetters())
          .singleElement()
          .satisfies(dead -> assertThat(dead.reason()).startsWith(failure.type().getName()))
          .satisfies(dead -> assertThat(dead.attempts()).isEqualTo(2));
      assertThat(bus.health()).isEqualTo(BusHealth.healthy(1));
    }
  }

  @Test
  void after_a_fatal_error_the_event_is_kept_neither_handled_nor_dead_lettered() {
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger bystanderCalls = new AtomicInteger();
    try (InMemoryEventBus bus = new InMemoryEventBus(3)) {
      bus.subscribe(
          "fatal",
          2,
          event -> {
            calls.incrementAndGet();
            ConsumerFailure.OUT_OF_MEMORY_ERROR.throwIt();
          });
      bus.subscribe("bystander", 1, event -> bystanderCalls.incrementAndGet());

      bus.publish(List.of(event(1)));

      Await.until("the bus to stop", () -> bus.health().needsRestart());
      Await.until("every listener to end", () -> bus.health().consumers() == 0);
      assertThat(bus.health().healthy()).isFalse();
      assertThat(bus.deadLetters()).isEmpty();
      assertThat(bus.isIdle()).as("the event waits in its subscription").isFalse();
      assertThat(calls).hasValue(1);
      bus.publish(List.of(event(2)));
      assertThat(bus.isIdle()).isFalse();
      assertThat(bystanderCalls.get()).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void after_a_fatal_error_the_command_is_kept_and_the_bus_reports_what_happened() {
    try (InMemoryCommandBus bus = new InMemoryCommandBus()) {
      bus.subscribe(
          "service", Set.of("Ping"), 1, c -> ConsumerFailure.OUT_OF_MEMORY_ERROR.throwIt());

      bus.publish(Command.create(new Ping(1)));

      Await.until("the bus to stop", () -> bus.health().needsRestart());
      BusHealth.Failure failure = bus.health().lastFailure();
      assertThat(failure.fatal()).isTrue();
      assertThat(failure.description())
          .contains("java.lang.OutOfMemoryError: poison: simulated out of memory")
          .contains("service");
      assertThat(failure.at()).isBeforeOrEqualTo(Instant.now());
      assertThat(bus.deadLetters()).isEmpty();
      assertThat(bus.isIdle()).isFalse();
    }
  }

  private static VersionedEvent event(int n) {
    return new VersionedEvent(
        UUID.randomUUID().toString(),
        "c-" + n,
        null,
        "s-" + n,
        null,
        null,
        1,
        "Ping",
        Instant.now(),
        new Ping(n),
        Map.of());
  }
}
