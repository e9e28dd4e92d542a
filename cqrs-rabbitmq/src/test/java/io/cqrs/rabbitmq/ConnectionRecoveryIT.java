package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.BusHealth;
import io.cqrs.testing.Await;
import io.cqrs.testing.OwnThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Connections that the broker closes, or that cannot reach it, against the real broker. */
class ConnectionRecoveryIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private static final int EVENTS = 10_000;
  private static final int BATCH = 100;
  private static final long BATCH_PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(60);

  /**
   * A handshake timeout short enough that a connection left unanswered times out soon (the client
   * waits half of it for the broker's first frame); the tests' broker answers well within it, and a
   * handshake that does time out is only tried again.
   */
  private static final int SHORT_HANDSHAKE_MILLIS = 2_000;

  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("recovery");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void events_flowing_while_the_broker_force_closes_the_connections_are_all_handled() {
    namespace.requireAdmin();
    Set<String> handled = ConcurrentHashMap.newKeySet();
    AtomicInteger deliveries = new AtomicInteger();
    namespace
        .eventBus(serializer)
        .subscribe(
            "recovering",
            2,
            event -> {
              deliveries.incrementAndGet();
              handled.add(event.id());
            });
    RabbitEventBus publisher = namespace.eventBus(serializer);
    List<VersionedEvent> events = TestMessages.events(EVENTS);
    CompletableFuture<Void> publishing = OwnThread.runAsync(() -> publishPaced(publisher, events));

    Await.until(
        Duration.ofSeconds(30),
        () -> handled.size() + " handled",
        () -> handled.size() >= EVENTS / 5);
    int closed = namespace.forceCloseConnections();

    assertThat(closed).as("connections closed by the broker").isGreaterThanOrEqualTo(3);
    assertThat(publishing)
        .as("publishing rides out the outage")
        .succeedsWithin(Duration.ofSeconds(120));
    Set<String> published = events.stream().map(VersionedEvent::id).collect(Collectors.toSet());
    Await.until(
        Duration.ofSeconds(120),
        () -> (EVENTS - handled.size()) + " events not handled yet",
        () -> handled.containsAll(published));
    assertThat(handled).isEqualTo(published);
    assertThat(deliveries.get()).isGreaterThanOrEqualTo(EVENTS);
  }

  /** Publishes in batches at about 1,600 events a second, so the stream outlasts the outage. */
  private static void publishPaced(RabbitEventBus publisher, List<VersionedEvent> events) {
    long next = System.nanoTime();
    for (int from = 0; from < events.size(); from += BATCH) {
      publisher.publish(events.subList(from, Math.min(from + BATCH, events.size())));
      next += BATCH_PACE_NANOS;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
    }
  }

  @Test
  void publishing_while_the_broker_is_away_blocks_for_the_timeout_then_throws_broker_unavailable()
      throws Exception {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    namespace.eventBus(serializer).subscribe("away", 1, event -> handled.add(event.id()));
    try (TcpProxy proxy = proxyToBroker()) {
      Duration timeout = Duration.ofSeconds(2);
      RabbitEventBus bus = throughProxy(proxy, timeout);
      VersionedEvent before = TestMessages.event("a", 1);
      bus.publish(List.of(before));

      proxy.stop();
      long start = System.nanoTime();
      assertThatThrownBy(() -> bus.publish(List.of(TestMessages.event("a", 2))))
          .isInstanceOf(BrokerUnavailableException.class)
          .hasMessageContaining("127.0.0.1:" + proxy.port())
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("guest"))
          .satisfies(e -> assertThat(((BrokerUnavailableException) e).isTransient()).isTrue());
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(timeout);

      proxy.start();
      VersionedEvent after = TestMessages.event("a", 3);
      Await.until(
          Duration.ofSeconds(20), () -> "publish after recovery", () -> publishes(bus, after));
      Await.until(
          Duration.ofSeconds(20),
          () -> "handled " + handled,
          () -> handled.containsAll(List.of(before.id(), after.id())));
    }
  }

  @Test
  void publishing_during_an_outage_completes_once_the_connection_has_recovered() throws Exception {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    namespace.eventBus(serializer).subscribe("outage", 1, event -> handled.add(event.id()));
    try (TcpProxy proxy = proxyToBroker()) {
      RabbitEventBus bus = throughProxy(proxy, Duration.ofSeconds(30));
      bus.publish(List.of(TestMessages.event("b", 1)));
      proxy.stop();
      List<VersionedEvent> during = TestMessages.stream("b", 20);
      CompletableFuture<Void> publishing = OwnThread.runAsync(() -> bus.publish(during));

      proxy.start();

      assertThat(publishing).succeedsWithin(Duration.ofSeconds(30));
      Set<String> ids = during.stream().map(VersionedEvent::id).collect(Collectors.toSet());
      Await.until(
          Duration.ofSeconds(20), () -> "handled " + handled, () -> handled.containsAll(ids));
    }
  }

  @Test
  void an_asynchronous_publication_during_an_outage_returns_at_once_and_completes_after_recovery()
      throws Exception {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    namespace.eventBus(serializer).subscribe("async-outage", 1, event -> handled.add(event.id()));
    try (TcpProxy proxy = proxyToBroker()) {
      RabbitEventBus bus = throughProxy(proxy, Duration.ofSeconds(60));
      bus.publish(List.of(TestMessages.event("c", 1)));
      proxy.stop();
      List<VersionedEvent> during = TestMessages.stream("c", 20);

      CompletableFuture<Void> publishing = bus.publishAsync(during);

      // Nothing can be confirmed while the proxy is down, and the timeout is far off: the call
      // returned without waiting for the broker.
      assertThat(publishing).isNotDone();
      proxy.start();
      assertThat(publishing).succeedsWithin(Duration.ofSeconds(60));
      Set<String> ids = during.stream().map(VersionedEvent::id).collect(Collectors.toSet());
      Await.until(
          Duration.ofSeconds(20), () -> "handled " + handled, () -> handled.containsAll(ids));
    }
  }

  @Test
  void a_broker_that_takes_the_connection_but_answers_no_handshake_is_tried_again()
      throws Exception {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    namespace.eventBus(serializer).subscribe("handshake", 1, event -> handled.add(event.id()));
    try (TcpProxy proxy = proxyToBroker()) {
      // As a broker too busy to take on the first connection would: it never answers it.
      proxy.holdNext(1);
      RabbitEventBus bus = throughProxy(proxy, Duration.ofSeconds(30), SHORT_HANDSHAKE_MILLIS);
      VersionedEvent event = TestMessages.event("h", 1);

      bus.publish(List.of(event));

      assertThat(proxy.held()).as("connections left unanswered").isEqualTo(1);
      Await.until(
          Duration.ofSeconds(20), () -> "handled " + handled, () -> handled.contains(event.id()));
    }
  }

  @Test
  void by_default_a_completion_stage_that_blocks_does_not_hold_up_later_publications()
      throws Exception {
    namespace.eventBus(serializer).subscribe("async-blocking", 1, event -> {});
    try (TcpProxy proxy = proxyToBroker()) {
      RabbitEventBus bus = throughProxy(proxy, Duration.ofSeconds(60));
      bus.publish(List.of(TestMessages.event("f", 1)));
      proxy.stop();
      // With the proxy down the future cannot be complete yet, so the stage is sure to run on a
      // completion thread of the bus, not on this one.
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch blocking = new CountDownLatch(1);
      CompletableFuture<Void> blocked =
          bus.publishAsync(List.of(TestMessages.event("f", 2)))
              .thenRun(
                  () -> {
                    blocking.countDown();
                    try {
                      release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  });
      proxy.start();
      try {
        assertThat(blocking.await(60, TimeUnit.SECONDS)).as("the stage started").isTrue();

        // That stage holds its completion thread; the bus completes the next call on another.
        assertThat(bus.publishAsync(List.of(TestMessages.event("f", 3))))
            .succeedsWithin(Duration.ofSeconds(60));
        assertThat(blocked).isNotDone();
      } finally {
        release.countDown();
      }
      assertThat(blocked).succeedsWithin(Duration.ofSeconds(60));
    }
  }

  @Test
  void an_asynchronous_publication_fails_with_broker_unavailable_once_the_timeout_has_passed()
      throws Exception {
    namespace.eventBus(serializer).subscribe("async-away", 1, event -> {});
    try (TcpProxy proxy = proxyToBroker()) {
      Duration timeout = Duration.ofSeconds(2);
      RabbitEventBus bus = throughProxy(proxy, timeout);
      bus.publish(List.of(TestMessages.event("d", 1)));
      proxy.stop();

      CompletableFuture<Void> publishing = bus.publishAsync(TestMessages.stream("d", 5));

      assertThat(publishing)
          .failsWithin(Duration.ofSeconds(30))
          .withThrowableOfType(ExecutionException.class)
          .havingCause()
          .isInstanceOf(BrokerUnavailableException.class)
          .withMessageContaining("127.0.0.1:" + proxy.port())
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("guest"));
    }
  }

  @Test
  void closing_the_bus_fails_the_asynchronous_publications_still_waiting_for_the_broker()
      throws Exception {
    namespace.eventBus(serializer).subscribe("async-closed", 1, event -> {});
    try (TcpProxy proxy = proxyToBroker()) {
      RabbitEventBus bus = throughProxy(proxy, Duration.ofMinutes(10));
      bus.publish(List.of(TestMessages.event("e", 1)));
      proxy.stop();
      CompletableFuture<Void> waiting = bus.publishAsync(TestMessages.stream("e", 5));

      bus.close();

      // Long before the ten-minute timeout: closing settles what waits.
      assertThat(waiting)
          .failsWithin(Duration.ofSeconds(30))
          .withThrowableOfType(ExecutionException.class)
          .havingCause()
          .isInstanceOf(IllegalStateException.class)
          .withMessageContaining("closed");
    }
  }

  @Test
  void a_broker_that_never_answers_the_handshake_fails_the_build_as_transient() throws Exception {
    try (TcpProxy proxy = proxyToBroker()) {
      proxy.holdNext(Integer.MAX_VALUE);

      assertThatThrownBy(() -> throughProxy(proxy, Duration.ofSeconds(2), SHORT_HANDSHAKE_MILLIS))
          .isInstanceOf(BrokerUnavailableException.class)
          .hasMessageContaining("127.0.0.1:" + proxy.port())
          .hasMessageContaining("handshake")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("guest"))
          .satisfies(e -> assertThat(((BrokerUnavailableException) e).isTransient()).isTrue());
      assertThat(proxy.held()).isPositive();
    }
  }

  @Test
  void publish_and_publish_async_fail_alike_and_publish_async_never_waits_for_the_broker()
      throws Exception {
    try (TcpProxy proxy = proxyToBroker()) {
      RabbitEventBus bus = throughProxy(proxy, Duration.ofSeconds(2));
      bus.publish(List.of(TestMessages.event("c", 1)));
      proxy.stop();
      Await.until(
          Duration.ofSeconds(10),
          () -> "the loss noticed; health " + bus.health(),
          () -> !bus.health().connections().get(0).connected());

      long called = System.nanoTime();
      CompletableFuture<Void> async = bus.publishAsync(List.of(TestMessages.event("c", 2)));
      boolean doneOnReturn = async.isDone();
      // It can only be done (failed) on return if the call itself took the 2 s timeout, which a
      // stalled thread on a loaded machine could make it do without the bus having waited.
      if (Duration.ofNanos(System.nanoTime() - called).compareTo(Duration.ofSeconds(2)) < 0) {
        assertThat(doneOnReturn)
            .as("publishAsync returned without waiting for the broker")
            .isFalse();
      }
      Throwable asyncFailure = catchThrowable(() -> async.get(30, TimeUnit.SECONDS));
      Throwable syncFailure =
          catchThrowable(() -> bus.publish(List.of(TestMessages.event("c", 3))));

      assertThat(asyncFailure).isInstanceOf(ExecutionException.class);
      String broker = "127.0.0.1:" + proxy.port() + "//";
      for (Throwable failure : List.of(asyncFailure.getCause(), syncFailure)) {
        assertThat(failure)
            .isInstanceOf(BrokerUnavailableException.class)
            .hasMessageStartingWith(
                "RabbitMQ at "
                    + broker
                    + " is unavailable: messages not confirmed within PT2S; connection '"
                    + namespace.prefix()
                    + "-proxied/publish' has been down since ")
            .hasMessageContaining("failed attempt(s) to reconnect to any of " + broker)
            .hasMessageEndingWith(
                ". Some of them may have been delivered: publishing them again is safe")
            .hasMessageNotContaining("guest");
      }
    }
  }

  @Test
  void health_names_the_node_reached_reports_an_outage_and_turns_unhealthy_only_after_the_grace()
      throws Exception {
    try (TcpProxy proxy = proxyToBroker()) {
      RabbitEventBus patient =
          proxiedBus(proxy, "patient", b -> b.unhealthyAfter(Duration.ofHours(1)));
      RabbitEventBus strict = proxiedBus(proxy, "strict", b -> b.unhealthyAfter(Duration.ZERO));
      patient.subscribe("patient", 1, event -> {});
      strict.subscribe("strict", 1, event -> {});
      String node = "127.0.0.1:" + proxy.port();
      for (RabbitEventBus bus : List.of(patient, strict)) {
        assertThat(bus.health().healthy()).isTrue();
        assertThat(bus.health().connections())
            .hasSize(2)
            .allSatisfy(
                c -> {
                  assertThat(c.node()).isEqualTo(node);
                  assertThat(c.connected()).isTrue();
                  assertThat(c.failedAttempts()).isZero();
                });
      }

      proxy.stop();
      Await.until(
          Duration.ofSeconds(20),
          () -> "failed attempts to reconnect; health " + patient.health(),
          () ->
              patient.health().connections().stream()
                  .allMatch(c -> !c.connected() && c.failedAttempts() >= 1));
      BusHealth waiting = patient.health();
      assertThat(waiting.consumers()).isZero();
      assertThat(waiting.healthy()).as("within unhealthyAfter: %s", waiting).isTrue();
      assertThat(waiting.connections())
          .allSatisfy(
              c -> {
                assertThat(c.downSince()).isNotNull();
                assertThat(c.lastError()).isNotBlank();
                assertThat(c.node()).isEqualTo(node);
              });
      assertThat(strict.health().healthy()).as("past unhealthyAfter").isFalse();

      proxy.start();
      for (RabbitEventBus bus : List.of(patient, strict)) {
        Await.until(
            Duration.ofSeconds(20),
            () -> "recovery; health " + bus.health(),
            () ->
                bus.health().healthy()
                    && bus.health().consumers() == 1
                    && bus.health().connections().stream()
                        .allMatch(BusHealth.Connection::connected));
        assertThat(bus.health().connections())
            .allSatisfy(
                c -> {
                  assertThat(c.connected()).isTrue();
                  assertThat(c.downSince()).isNull();
                  assertThat(c.failedAttempts()).isZero();
                });
      }
    }
  }

  @Test
  void a_bus_given_two_nodes_builds_while_one_is_down_and_moves_to_the_other_when_its_own_goes()
      throws Exception {
    Set<String> handled = ConcurrentHashMap.newKeySet();
    try (TcpProxy first = proxyToBroker();
        TcpProxy second = proxyToBroker()) {
      first.stop();
      // Each bus shuffles its nodes: of several, some try the node that is down first.
      List<RabbitEventBus> built = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        built.add(twoNodeBus(first, second, "down-" + i));
      }
      built.forEach(bus -> assertThat(bus.health().healthy()).isTrue());
      built.forEach(bus -> bus.publish(List.of(TestMessages.event("d", 1))));
      first.start();

      RabbitEventBus bus = twoNodeBus(first, second, "moving");
      bus.subscribe("moving", 1, event -> handled.add(event.id()));
      String consumeNode = BusNodes.connectedNode(bus, "/consume");
      TcpProxy own = consumeNode.endsWith(":" + first.port()) ? first : second;
      TcpProxy other = own == first ? second : first;
      own.stop();

      Await.until(
          Duration.ofSeconds(20),
          () -> "the consumer to move; health " + bus.health(),
          () ->
              ("127.0.0.1:" + other.port()).equals(BusNodes.connectedNode(bus, "/consume"))
                  && bus.health().consumers() == 1);
      VersionedEvent after = TestMessages.event("d", 2);
      Await.until(
          Duration.ofSeconds(20),
          () -> "publishing through the other",
          () -> publishes(bus, after));
      Await.until(
          Duration.ofSeconds(20), () -> "handled " + handled, () -> handled.contains(after.id()));
      assertThat(bus.health().connections())
          .allSatisfy(c -> assertThat(c.node()).isEqualTo("127.0.0.1:" + other.port()));
    }
  }

  private RabbitEventBus twoNodeBus(TcpProxy first, TcpProxy second, String name) {
    return namespace.track(
        namespace
            .eventBusBuilder(serializer)
            .addresses("127.0.0.1:" + first.port(), "127.0.0.1:" + second.port())
            .connectionName(namespace.prefix() + "-" + name)
            .build());
  }

  private RabbitEventBus proxiedBus(
      TcpProxy proxy, String name, java.util.function.UnaryOperator<RabbitEventBus.Builder> more) {
    ConnectionFactory viaProxy = namespace.connectionFactory();
    viaProxy.setHost("127.0.0.1");
    viaProxy.setPort(proxy.port());
    return namespace.track(
        more.apply(
                RabbitEventBus.builder(viaProxy, serializer)
                    .prefix(namespace.prefix())
                    .connectionName(namespace.prefix() + "-" + name))
            .build());
  }

  private static boolean publishes(RabbitEventBus bus, VersionedEvent event) {
    try {
      bus.publish(List.of(event));
      return true;
    } catch (BrokerUnavailableException e) {
      return false;
    }
  }

  private TcpProxy proxyToBroker() throws java.io.IOException {
    ConnectionFactory direct = namespace.connectionFactory();
    return TcpProxy.to(direct.getHost(), direct.getPort());
  }

  private RabbitEventBus throughProxy(TcpProxy proxy, Duration publishTimeout) {
    return throughProxy(proxy, publishTimeout, ConnectionFactory.DEFAULT_HANDSHAKE_TIMEOUT);
  }

  private RabbitEventBus throughProxy(
      TcpProxy proxy, Duration publishTimeout, int handshakeTimeoutMillis) {
    return proxiedBus(
        proxy,
        "proxied",
        builder ->
            builder
                .publishTimeout(publishTimeout)
                .handshakeTimeout(Duration.ofMillis(handshakeTimeoutMillis)));
  }
}
