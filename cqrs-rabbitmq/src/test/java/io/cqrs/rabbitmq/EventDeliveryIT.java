package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Competing consumers and fan-out over subscriptions, against the real broker. */
class EventDeliveryIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private static final int EVENTS = 10_000;
  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("delivery");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void three_consumers_of_one_subscription_share_the_events_each_handled_exactly_once() {
    Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
    Map<Integer, Set<String>> byConsumer = new ConcurrentHashMap<>();
    for (int consumer = 0; consumer < 3; consumer++) {
      int id = consumer;
      byConsumer.put(id, ConcurrentHashMap.newKeySet());
      namespace
          .eventBus(serializer)
          .subscribe(
              "shared",
              1,
              event -> {
                handled.computeIfAbsent(event.id(), k -> new AtomicInteger()).incrementAndGet();
                byConsumer.get(id).add(event.id());
              });
    }
    List<VersionedEvent> events = TestMessages.events(EVENTS);

    namespace.eventBus(serializer).publish(events);

    Await.until(
        Duration.ofSeconds(60), () -> handled.size() + " handled", () -> handled.size() == EVENTS);
    assertThat(handled.keySet())
        .isEqualTo(events.stream().map(VersionedEvent::id).collect(Collectors.toSet()));
    assertThat(handled.values()).allSatisfy(count -> assertThat(count).hasValue(1));
    assertThat(byConsumer.values()).allSatisfy(ids -> assertThat(ids).isNotEmpty());
  }

  @Test
  void two_subscriptions_each_get_all_the_events() {
    Map<String, Set<String>> bySubscription = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    RabbitEventBus consumers = namespace.eventBus(serializer);
    for (String subscription : List.of("projection", "audit")) {
      Set<String> ids = ConcurrentHashMap.newKeySet();
      AtomicInteger count = new AtomicInteger();
      bySubscription.put(subscription, ids);
      deliveries.put(subscription, count);
      consumers.subscribe(
          subscription,
          2,
          event -> {
            count.incrementAndGet();
            ids.add(event.id());
          });
    }
    List<VersionedEvent> events = TestMessages.events(EVENTS);

    namespace.eventBus(serializer).publish(events);

    Set<String> published = events.stream().map(VersionedEvent::id).collect(Collectors.toSet());
    for (String subscription : bySubscription.keySet()) {
      Set<String> ids = bySubscription.get(subscription);
      Await.until(
          Duration.ofSeconds(60),
          () -> subscription + ": " + ids.size(),
          () -> ids.size() == EVENTS);
      assertThat(ids).as(subscription).isEqualTo(published);
      assertThat(deliveries.get(subscription)).as(subscription + " deliveries").hasValue(EVENTS);
    }
  }

  @Test
  void a_list_far_larger_than_the_confirm_window_is_published_completely_and_in_order() {
    List<VersionedEvent> events = TestMessages.stream("windowed", 2_000);
    List<Long> versions = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    namespace.eventBus(serializer).subscribe("in-order", 1, event -> versions.add(event.version()));
    RabbitEventBus publisher =
        namespace.track(namespace.eventBusBuilder(serializer).confirmWindow(16).build());

    publisher.publish(events);

    Await.until(
        Duration.ofSeconds(60),
        () -> versions.size() + " handled",
        () -> versions.size() == events.size());
    assertThat(versions).isSorted().doesNotHaveDuplicates();
  }
}
