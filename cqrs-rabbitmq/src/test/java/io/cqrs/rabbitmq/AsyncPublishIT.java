package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSerializer;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code publishAsync} of both buses against the real broker; its faults are in
 * ConnectionRecoveryIT.
 */
class AsyncPublishIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("async");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void one_call_far_larger_than_the_confirm_window_completes_once_every_event_is_confirmed_once() {
    Map<String, Integer> deliveries = new ConcurrentHashMap<>();
    RabbitEventBus bus =
        namespace.track(namespace.eventBusBuilder(serializer).confirmWindow(8).build());
    bus.subscribe("large", 1, event -> deliveries.merge(event.id(), 1, Integer::sum));
    List<VersionedEvent> events = TestMessages.events(2_000);

    // Confirms settle the first messages while the caller still sends the later ones: the call
    // must neither count as settled nor send anything again before its last message was sent.
    CompletableFuture<Void> published = bus.publishAsync(events);

    assertThat(published).succeedsWithin(WAIT);
    // One listener takes the queue in order, so once the marker published after the call is
    // handled, every copy the call put in the queue has been handled too.
    VersionedEvent marker = TestMessages.event("marker", 1);
    bus.publish(List.of(marker));
    Await.until(
        WAIT, () -> deliveries.size() + " handled", () -> deliveries.containsKey(marker.id()));
    assertThat(deliveries.keySet()).containsAll(ids(events));
    assertThat(deliveries.values()).as("deliveries per event").containsOnly(1);
  }

  @Test
  void many_threads_publishing_asynchronously_at_once_each_get_their_future_completed()
      throws Exception {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    RabbitEventBus bus =
        namespace.track(namespace.eventBusBuilder(serializer).confirmWindow(64).build());
    bus.subscribe("many", 2, event -> handled.add(event.id()));
    int threads = 4;
    int calls = 50;
    ExecutorService publishers = Executors.newFixedThreadPool(threads);
    List<VersionedEvent> all = new ArrayList<>();
    List<Future<List<CompletableFuture<Void>>>> started = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        List<List<VersionedEvent>> batches = new ArrayList<>();
        for (int c = 0; c < calls; c++) {
          List<VersionedEvent> batch = TestMessages.events(20);
          batches.add(batch);
          all.addAll(batch);
        }
        started.add(
            publishers.submit(
                () -> {
                  List<CompletableFuture<Void>> futures = new ArrayList<>();
                  for (List<VersionedEvent> batch : batches) {
                    futures.add(bus.publishAsync(batch));
                  }
                  return futures;
                }));
      }
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (Future<List<CompletableFuture<Void>>> each : started) {
        futures.addAll(each.get());
      }

      assertThat(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)))
          .succeedsWithin(WAIT);
    } finally {
      publishers.shutdownNow();
    }
    Await.until(WAIT, () -> handled.size() + " handled", () -> handled.containsAll(ids(all)));
  }

  @Test
  void futures_complete_on_the_completion_executor_not_on_the_connections_thread() {
    AtomicInteger completions = new AtomicInteger();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Executor counting =
        task -> {
          completions.incrementAndGet();
          pool.execute(task);
        };
    try {
      RabbitEventBus bus =
          namespace.track(
              namespace.eventBusBuilder(serializer).completionExecutor(counting).build());
      bus.subscribe("where", 1, event -> {});
      CompletableFuture<String> thread =
          bus.publishAsync(TestMessages.events(3))
              .thenApply(done -> Thread.currentThread().getName());

      // The stage ran either on the completion executor's thread or, if the future had completed
      // already, on this one; never on an amqp-client thread.
      assertThat(thread).succeedsWithin(WAIT).asString().doesNotContain("AMQP");
      assertThat(completions).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void a_completion_executor_that_refuses_or_throws_still_gets_every_future_completed() {
    ExecutorService shutDown = Executors.newSingleThreadExecutor();
    shutDown.shutdown();
    Executor throwing =
        task -> {
          throw new IllegalStateException("this executor is broken");
        };
    for (Executor refusing : List.of(shutDown, throwing)) {
      RabbitEventBus bus =
          namespace.track(
              namespace
                  .eventBusBuilder(serializer)
                  .connectionName(namespace.prefix() + "-refusing-" + refusing.hashCode())
                  .completionExecutor(refusing)
                  .build());
      bus.subscribe("refused", 1, event -> {});

      assertThat(bus.publishAsync(TestMessages.events(3))).succeedsWithin(WAIT);
    }
  }

  @Test
  void closing_the_bus_right_after_publishing_waits_for_the_confirms_in_flight() {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    namespace.eventBus(serializer).subscribe("drained", 1, event -> handled.add(event.id()));
    RabbitEventBus closing =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .connectionName(namespace.prefix() + "-closing")
                .build());
    List<VersionedEvent> events = TestMessages.events(2_000);

    CompletableFuture<Void> published = closing.publishAsync(events);
    closing.close();

    // close() returned only once the call was confirmed; its completion may still be on its way
    // to the completion thread.
    assertThat(published).succeedsWithin(WAIT);
    Await.until(WAIT, () -> handled.size() + " handled", () -> handled.containsAll(ids(events)));
  }

  @Test
  void a_stage_that_publishes_again_on_completion_does_not_block_the_bus() {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    RabbitEventBus bus = namespace.eventBus(serializer);
    bus.subscribe("chained", 1, event -> handled.add(event.id()));
    List<VersionedEvent> first = TestMessages.events(5);
    List<VersionedEvent> second = TestMessages.events(5);

    CompletableFuture<Void> chained =
        bus.publishAsync(first)
            .thenRun(() -> bus.publish(second))
            .thenCompose(done -> bus.publishAsync(first));

    assertThat(chained).succeedsWithin(WAIT);
    Await.until(
        WAIT,
        () -> handled.size() + " handled",
        () -> handled.containsAll(ids(first)) && handled.containsAll(ids(second)));
  }

  @Test
  void an_unroutable_event_fails_the_future_only_when_the_bus_is_told_to() {
    RabbitEventBus lenient = namespace.eventBus(serializer);
    RabbitEventBus strict =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .connectionName(namespace.prefix() + "-strict")
                .failOnUnroutable(true)
                .build());
    List<VersionedEvent> nobodyListens = TestMessages.events(2);

    assertThat(lenient.publishAsync(nobodyListens)).succeedsWithin(WAIT);
    assertThat(strict.publishAsync(nobodyListens))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(UnroutableMessageException.class)
        .withMessageContaining("2 event(s) reached no subscription queue");
  }

  @Test
  void commands_published_asynchronously_reach_their_service_and_unroutable_ones_fail_the_future() {
    Map<String, Integer> handled = new ConcurrentHashMap<>();
    RabbitCommandBus bus = namespace.commandBus(serializer);
    bus.subscribe(
        "items",
        Set.of("AddItem"),
        1,
        command -> handled.merge(command.messageId(), 1, Integer::sum));
    List<io.cqrs.Command> commands = List.of(TestMessages.addItem("a"), TestMessages.addItem("b"));

    assertThat(bus.publishAsync(commands)).succeedsWithin(WAIT);
    Await.until(
        WAIT,
        () -> "handled " + handled,
        () ->
            handled
                .keySet()
                .containsAll(commands.stream().map(io.cqrs.Command::messageId).toList()));

    RabbitCommandBus elsewhere =
        namespace.track(
            namespace.commandBusBuilder(serializer).prefix(namespace.prefix() + "-nobody").build());
    assertThat(elsewhere.publishAsync(TestMessages.addItem("lost?")))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(UnroutableMessageException.class);
  }

  @Test
  void an_asynchronous_publication_on_a_closed_bus_throws_at_once() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    bus.close();

    assertThatThrownBy(() -> bus.publishAsync(TestMessages.events(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  private static Set<String> ids(List<VersionedEvent> events) {
    Set<String> ids = ConcurrentHashMap.newKeySet();
    events.forEach(event -> ids.add(event.id()));
    return ids;
  }
}
