package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.BusHealth;
import io.cqrs.testing.Await;
import io.cqrs.testing.OwnThread;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks from an adversarial run against the buses that held, kept so that a change breaking them
 * fails here: a close while a handler is about to fail, with more messages prefetched, loses none
 * of them; a queue deleted while the connection was down makes health ask for a restart.
 */
class CloseAndRecoveryAdversaryIT {
  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  @BeforeEach
  void open() {
    namespace = RabbitTestBroker.get().newNamespace("adversary");
  }

  @AfterEach
  void close() {
    namespace.close();
  }

  @Test
  void closing_while_a_handler_is_about_to_fail_loses_neither_it_nor_the_prefetched_ones()
      throws Exception {
    Duration delay = Duration.ofSeconds(30);
    RabbitEventBus bus =
        namespace.track(namespace.eventBusBuilder(serializer).retryDelays(delay).build());
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    bus.subscribe(
        "closing",
        1,
        event -> {
          entered.countDown();
          release.await();
          throw new IllegalStateException("fails after close was asked");
        });
    List<VersionedEvent> events = TestMessages.events(5);
    bus.publish(events);
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = OwnThread.runAsync(bus::close);
    Await.until(Duration.ofSeconds(10), () -> "closing begun", () -> !bus.health().healthy());
    release.countDown();
    closing.get(30, TimeUnit.SECONDS);

    String queue = namespace.prefix() + ".events.closing";
    long inQueue = namespace.withChannel(c -> (long) c.messageCount(queue));
    long inRetry =
        namespace.withChannel(c -> (long) c.messageCount(Names.retryQueue(queue, delay)));
    long dead = namespace.withChannel(c -> (long) c.messageCount(Names.deadLetterQueue(queue)));
    assertThat(inQueue + inRetry + dead)
        .as("messages left: queue " + inQueue + ", retry " + inRetry + ", dlq " + dead)
        .isEqualTo(5);
    assertThat(inRetry).as("the failed one went to its retry queue").isEqualTo(1);
  }

  @Test
  void a_queue_deleted_while_the_connection_was_down_makes_health_ask_for_a_restart()
      throws Exception {
    try (TcpProxy proxy =
        TcpProxy.to(
            namespace.connectionFactory().getHost(), namespace.connectionFactory().getPort())) {
      ConnectionFactory viaProxy = namespace.connectionFactory();
      viaProxy.setHost("127.0.0.1");
      viaProxy.setPort(proxy.port());
      RabbitEventBus bus =
          namespace.track(
              RabbitEventBus.builder(viaProxy, serializer)
                  .prefix(namespace.prefix())
                  .connectionName(namespace.prefix() + "-health")
                  .unhealthyAfter(Duration.ofHours(1))
                  .recoveryInterval(Duration.ofMillis(300))
                  .build());
      bus.subscribe("gone", 2, event -> {});
      Await.until(Duration.ofSeconds(10), () -> "consuming", () -> bus.health().consumers() == 2);
      proxy.stop();
      Await.until(
          Duration.ofSeconds(20),
          () -> "down: " + bus.health(),
          () ->
              bus.health().connections().stream()
                  .allMatch(c -> !c.connected() && c.failedAttempts() >= 1));
      namespace.withChannel(channel -> channel.queueDelete(namespace.prefix() + ".events.gone"));
      proxy.start();
      Await.until(
          Duration.ofSeconds(20),
          () -> "reconnected: " + bus.health(),
          () -> bus.health().connections().stream().allMatch(BusHealth.Connection::connected));

      // The consumers were refused on recovery: only a restart declares the queue again.
      Await.until(
          Duration.ofSeconds(20),
          () -> "needsRestart after the consumers were refused; health " + bus.health(),
          () -> !bus.health().healthy() && bus.health().needsRestart());
    }
  }
}
