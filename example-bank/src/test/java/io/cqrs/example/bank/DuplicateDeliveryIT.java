package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.LoggedEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * At-least-once delivery at its worst, on the real servers: every committed event goes through
 * RabbitMQ twice, each stream's deliveries in a shuffled order, to competing listeners, and the
 * bank's Couchbase read models still end equal to a fold of the event store, each event applied
 * once.
 */
class DuplicateDeliveryIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String SUBSCRIPTION = "read-models";

  @Test
  void every_event_delivered_twice_in_shuffled_order_is_applied_once_by_the_couchbase_read_models()
      throws Exception {
    Random random = new Random(6);
    try (BankOnServers bank = BankOnServers.start("dup")) {
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String id = UUID.randomUUID().toString();
        accounts.add(id);
        bank.writeHistory(id, 20, random);
      }
      List<VersionedEvent> deliveries = twiceShuffledPerStream(bank, random);

      CountingViewStores views = bank.views("");
      BankReadModels readModels = new BankReadModels(bank.store(), views);
      RabbitEventBus bus = bank.newEventBus();
      // Fed by the bus, not the log: the read models learn only what the bus brings.
      try (BusFedReadModels fed =
          new BusFedReadModels(readModels, bus, bank.store(), SUBSCRIPTION, 4)) {
        for (int from = 0; from < deliveries.size(); from += 10) {
          bus.publish(deliveries.subList(from, Math.min(from + 10, deliveries.size())));
        }
        // The timeout's message says how many were handled: "Expected: <n> but: was <m>".
        Await.await("every delivery to be handled by the accounts read model")
            .atMost(SETTLE)
            .until(() -> fed.deliveries("accounts"), equalTo(deliveries.size()));
        assertThat(fed.deadLetters()).isZero();
      }

      assertThat(bank.caughtUp(readModels, accounts, List.of())).isTrue();
      assertThat(bank.differences(readModels, views, accounts, List.of())).isEmpty();
      assertThat(views.writes("accounts")).isEqualTo(deliveries.size() / 2);
    }
  }

  /**
   * Every stream event of the integration log twice, each stream's copies in a random order, the
   * streams interleaved at random.
   */
  private static List<VersionedEvent> twiceShuffledPerStream(BankOnServers bank, Random random) {
    Map<String, List<VersionedEvent>> streams = new LinkedHashMap<>();
    for (LoggedEvent entry : bank.store().readLog(1, 100_000)) {
      VersionedEvent event = entry.event();
      List<VersionedEvent> copies =
          streams.computeIfAbsent(event.sourceId(), s -> new ArrayList<>());
      copies.add(event);
      copies.add(event);
    }
    List<Deque<VersionedEvent>> queues = new ArrayList<>();
    for (List<VersionedEvent> copies : streams.values()) {
      Collections.shuffle(copies, random);
      queues.add(new ArrayDeque<>(copies));
    }
    List<VersionedEvent> deliveries = new ArrayList<>();
    while (!queues.isEmpty()) {
      int pick = random.nextInt(queues.size());
      deliveries.add(queues.get(pick).poll());
      if (queues.get(pick).isEmpty()) {
        queues.remove(pick);
      }
    }
    return deliveries;
  }
}
