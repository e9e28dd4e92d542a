package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SubscribingEventProcessorTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final InMemoryEventBus bus = new InMemoryEventBus();

  @AfterEach
  void closeBus() {
    bus.close();
  }

  @Test
  void a_projection_applies_duplicated_and_shuffled_deliveries_once_in_version_order() {
    List<VersionedEvent> events = new ArrayList<>();
    for (int s = 0; s < 5; s++) {
      events.addAll(Ledgers.append(store, "ledger-" + s, 8, CREATED));
    }
    List<VersionedEvent> deliveries = new ArrayList<>(events);
    deliveries.addAll(events);
    Collections.shuffle(deliveries, new java.util.Random(7));
    LedgerProjection projection = new LedgerProjection();

    try (SubscribingEventProcessor processor =
        EventProcessor.subscribing("ledger-view", bus, store)
            .projection(projection)
            .listeners(3)
            .build()) {
      processor.start();
      bus.publish(deliveries);
      Await.until(
          "every stream at version 8",
          () -> projection.entries().values().stream().filter(e -> e.version() == 8).count() == 5);
    }

    assertThat(projection.applications()).isEqualTo(40);
    assertThat(projection.violations()).isEmpty();
    assertThat(projection.entries()).isEqualTo(Ledgers.fold(store));
  }

  @Test
  void pause_holds_deliveries_until_resume() {
    List<VersionedEvent> handled = new CopyOnWriteArrayList<>();
    List<VersionedEvent> events = Ledgers.append(store, "ledger-0", 3, CREATED);
    try (SubscribingEventProcessor processor =
        EventProcessor.subscribing("pausing", bus, store).handler(handled::add).build()) {
      processor.start();
      bus.publish(events.subList(0, 1));
      Await.until("first handled", () -> handled.size() == 1);

      processor.pause();
      bus.publish(events.subList(1, 3));
      assertThat(processor.isPaused()).isTrue();
      assertThat(handled).hasSize(1);

      processor.resume();
      Await.until("the rest handled", () -> handled.size() == 3);
    }
  }

  @Test
  void it_needs_a_handler_and_starts_once() {
    assertThatThrownBy(() -> EventProcessor.subscribing("x", bus, store).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("handler");
    try (SubscribingEventProcessor processor =
        EventProcessor.subscribing("once", bus, store).handler(e -> {}).build()) {
      processor.start();
      assertThatThrownBy(processor::start).isInstanceOf(IllegalStateException.class);
    }
  }
}
