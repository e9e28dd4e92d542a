package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-aggregate ordering of an ordered subscription, against the real broker. */
class OrderedSubscriptionIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  /** The type of the queues the buses of this class declare; a subclass runs it on another. */
  protected QueueType queueType() {
    return QueueType.CLASSIC;
  }

  private static final int AGGREGATES = 50;
  private static final int VERSIONS = 100;
  private static final String SUBSCRIPTION = "ledger";

  private final EventSerializer serializer = TestMessages.serializer();
  private final Map<String, List<Long>> handled = new ConcurrentHashMap<>();
  private final Set<String> threads = ConcurrentHashMap.newKeySet();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("ordered", queueType());
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void four_consumers_handle_every_aggregates_events_in_version_order() {
    List<RabbitEventBus> consumers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      RabbitEventBus consumer = orderedBus();
      consumer.subscribe(SUBSCRIPTION, 2, this::record);
      consumers.add(consumer);
    }

    publishInterleaved(orderedBus());

    awaitAllHandled();
    assertEveryAggregateInVersionOrder();
    assertThat(threads).as("listener threads that handled events").hasSizeGreaterThan(1);
  }

  @Test
  void order_holds_when_the_active_consumer_closes_mid_stream_and_another_takes_over() {
    RabbitEventBus first = orderedBus();
    AtomicInteger seenByFirst = new AtomicInteger();
    var firstSubscription =
        first.subscribe(
            SUBSCRIPTION,
            4,
            event -> {
              seenByFirst.incrementAndGet();
              record(event);
            });
    orderedBus().subscribe(SUBSCRIPTION, 4, this::record);
    RabbitEventBus publisher = orderedBus();

    publishInterleaved(publisher);
    Await.until(
        Duration.ofSeconds(60),
        () -> seenByFirst + " handled by the first consumer",
        () -> seenByFirst.get() >= AGGREGATES * VERSIONS / 5);
    firstSubscription.close();

    awaitAllHandled();
    assertEveryAggregateInVersionOrder();
  }

  @Test
  void a_failing_event_is_retried_in_place_so_later_versions_wait_for_it() {
    Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    RabbitEventBus consumer =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .orderedSubscriptions(SUBSCRIPTION)
                .retryDelays(Duration.ofMillis(100), Duration.ofMillis(100))
                .build());
    consumer.subscribe(
        SUBSCRIPTION,
        2,
        event -> {
          if (event.version() == 5
              && failures
                      .computeIfAbsent(event.sourceId(), k -> new AtomicInteger())
                      .incrementAndGet()
                  <= 2) {
            throw new IllegalStateException("version 5 fails twice");
          }
          record(event);
        });

    orderedBus().publish(TestMessages.stream("flaky", 10));

    Await.until(
        Duration.ofSeconds(30),
        () -> "handled " + handled,
        () -> handled.getOrDefault("flaky", List.of()).size() == 10);
    assertThat(handled.get("flaky")).containsExactlyElementsOf(versions(10));
    assertThat(failures.get("flaky")).hasValue(3);
  }

  @Test
  void an_event_that_cannot_be_dead_lettered_is_not_overtaken_by_later_events_of_its_stream() {
    AtomicBoolean failedOnce = new AtomicBoolean();
    RabbitEventBus first = onePartitionBus();
    first.subscribe(
        SUBSCRIPTION,
        1,
        event -> {
          record(event);
          if (event.version() == 1 && failedOnce.compareAndSet(false, true)) {
            throw new NonTransientCqrsException("version 1 fails on its first delivery");
          }
        });
    // Its dead-letter copy cannot be published: the broker refuses the failure exchange.
    namespace.withChannel(channel -> channel.exchangeDelete(namespace.prefix() + ".failures"));

    // From a bus of its own: the refused copies close the first bus's publishing channel, which
    // would fail these in flight and publish them again.
    onePartitionBus().publish(TestMessages.stream("blocked", 5));

    Await.until(
        Duration.ofSeconds(30),
        () -> "handled " + handled + ", health " + first.health(),
        () -> first.health().needsRestart() || handledVersions("blocked").containsAll(versions(5)));
    if (first.health().needsRestart()) {
      assertThat(first.health().lastFailure().description()).contains("gave back");
      // A restart: subscribing declares the failure exchange again.
      onePartitionBus().subscribe(SUBSCRIPTION, 1, this::record);
      Await.until(
          Duration.ofSeconds(30),
          () -> "handled " + handled,
          () -> handledVersions("blocked").containsAll(versions(5)));
    }
    assertNeverBehind(handledVersions("blocked"));
  }

  @Test
  void a_listener_of_four_partitions_holds_no_more_unacknowledged_events_than_its_prefetch() {
    int published = 40; // of 40 sources: every partition gets some
    CountDownLatch release = new CountDownLatch(1);
    RabbitEventBus bus =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .orderedSubscriptions(SUBSCRIPTION)
                .partitions(4)
                .prefetch(5)
                .build());
    bus.subscribe(SUBSCRIPTION, 1, event -> release.await());
    List<String> partitions =
        IntStream.range(0, 4)
            .mapToObj(i -> Names.partition(namespace.prefix() + ".events." + SUBSCRIPTION, i))
            .toList();
    try {
      bus.publish(TestMessages.events(published));

      // One each at least, and the handler holds one; what it holds beyond is the question.
      Await.until(
          Duration.ofSeconds(30),
          () -> unacknowledged(partitions, published) + " unacknowledged",
          () -> unacknowledged(partitions, published) >= 4);
      assertThat(unacknowledged(partitions, published)).isLessThanOrEqualTo(5);
    } finally {
      release.countDown();
    }
  }

  /** Published minus ready: what the broker has delivered and not had acknowledged. */
  private long unacknowledged(List<String> partitions, int published) {
    long ready =
        namespace.withChannel(
            channel -> {
              long sum = 0;
              for (String partition : partitions) {
                sum += channel.messageCount(partition);
              }
              return sum;
            });
    return published - ready;
  }

  private RabbitEventBus onePartitionBus() {
    return namespace.track(
        namespace
            .eventBusBuilder(serializer)
            .orderedSubscriptions(SUBSCRIPTION)
            .partitions(1)
            .retryDelays(Duration.ofMillis(50))
            .build());
  }

  private List<Long> handledVersions(String aggregate) {
    List<Long> versions = handled.getOrDefault(aggregate, List.of());
    synchronized (versions) {
      return List.copyOf(versions);
    }
  }

  /** No version handled after a later one: only repeats of the latest (at least once). */
  private static void assertNeverBehind(List<Long> versions) {
    long highest = 0;
    for (int i = 0; i < versions.size(); i++) {
      assertThat(versions.get(i))
          .as("version at %d of %s", i, versions)
          .isGreaterThanOrEqualTo(highest);
      highest = versions.get(i);
    }
  }

  private RabbitEventBus orderedBus() {
    return namespace.track(
        namespace.eventBusBuilder(serializer).orderedSubscriptions(SUBSCRIPTION).build());
  }

  private void record(VersionedEvent event) {
    handled
        .computeIfAbsent(event.sourceId(), k -> Collections.synchronizedList(new ArrayList<>()))
        .add(event.version());
    threads.add(Thread.currentThread().getName());
  }

  /** Version 1 of every aggregate, then version 2 of every aggregate, and so on. */
  private static void publishInterleaved(RabbitEventBus publisher) {
    List<List<VersionedEvent>> streams =
        IntStream.range(0, AGGREGATES)
            .mapToObj(i -> TestMessages.stream("aggregate-" + i, VERSIONS))
            .toList();
    List<VersionedEvent> interleaved = new ArrayList<>(AGGREGATES * VERSIONS);
    for (int version = 0; version < VERSIONS; version++) {
      for (List<VersionedEvent> stream : streams) {
        interleaved.add(stream.get(version));
      }
    }
    publisher.publish(interleaved);
  }

  /**
   * Waits until every aggregate's last version was handled. Not until each has as many handlings as
   * versions: where a hand-over replays events (quorum queues), the replays made that count before
   * the last version arrived, and the order check then found it missing.
   */
  private void awaitAllHandled() {
    Await.until(
        Duration.ofSeconds(90),
        () -> handled.values().stream().mapToInt(List::size).sum() + " events handled",
        () ->
            handled.size() == AGGREGATES
                && handled.values().stream()
                    .allMatch(versions -> versions.contains((long) VERSIONS)));
  }

  private void assertEveryAggregateInVersionOrder() {
    assertThat(handled).hasSize(AGGREGATES);
    handled.forEach(
        (aggregate, versions) -> {
          if (aHandoverMayReplay()) {
            assertInOrderWithReplays(aggregate, List.copyOf(versions));
          } else {
            assertThat(versions).as(aggregate).containsExactlyElementsOf(versions(VERSIONS));
          }
        });
  }

  /**
   * Whether a consumer that takes over a partition may get again, in order, events the closing
   * consumer had handled: seen with quorum queues on RabbitMQ 3.10 (at-least-once allows it).
   */
  protected boolean aHandoverMayReplay() {
    return false;
  }

  /**
   * Every version handled, first in version order, and anything handled again a replay of a run of
   * earlier versions, itself in order.
   */
  private static void assertInOrderWithReplays(String aggregate, List<Long> versions) {
    long highest = 0;
    for (int i = 0; i < versions.size(); i++) {
      long version = versions.get(i);
      boolean next = version == highest + 1;
      boolean replayStep = i > 0 && version <= highest && version == versions.get(i - 1) + 1;
      boolean replayStart = i > 0 && version <= versions.get(i - 1) && version <= highest;
      assertThat(next || replayStep || replayStart)
          .as("%s: version %d at %d of %s", aggregate, version, i, versions)
          .isTrue();
      highest = Math.max(highest, version);
    }
    assertThat(highest).as(aggregate).isEqualTo(VERSIONS);
  }

  private static List<Long> versions(int count) {
    return LongStream.rangeClosed(1, count).boxed().toList();
  }
}
