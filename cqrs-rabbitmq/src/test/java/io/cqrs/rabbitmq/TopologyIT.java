package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the buses declare and publish, as the broker sees it. */
class TopologyIT {
  /** Skips (or fails) the whole class at once when there is no broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final EventSerializer serializer = TestMessages.serializer();
  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("topology");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void events_are_published_persistent_with_id_correlation_type_and_content_type_as_properties() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    String tap = tap(namespace.prefix() + ".events", "#");
    VersionedEvent event = TestMessages.event("account-1", 7);

    bus.publish(List.of(event));

    AMQP.BasicProperties properties =
        namespace.withChannel(ch -> ch.basicGet(tap, true)).getProps();
    assertThat(properties.getDeliveryMode()).isEqualTo(2);
    assertThat(properties.getMessageId()).isEqualTo(event.id());
    assertThat(properties.getCorrelationId()).isEqualTo(event.correlationId());
    assertThat(properties.getType()).isEqualTo("ItemAdded");
    assertThat(properties.getContentType()).isEqualTo("application/json");
    assertThat(properties.getTimestamp()).isNotNull();
    assertThat(properties.getHeaders().get(CqrsHeaders.SOURCE_ID)).hasToString("account-1");
    assertThat(properties.getHeaders().get(CqrsHeaders.VERSION)).isEqualTo(7L);
  }

  @Test
  void commands_are_published_persistent_with_their_type_as_routing_key_and_properties() {
    RabbitCommandBus bus = namespace.commandBus(serializer);
    String tap = tap(namespace.prefix() + ".commands", "AddItem");
    Command command = TestMessages.addItem("pen");

    bus.publish(command);

    GetResponse response = namespace.withChannel(ch -> ch.basicGet(tap, true));
    assertThat(response.getEnvelope().getRoutingKey()).isEqualTo("AddItem");
    assertThat(response.getProps().getDeliveryMode()).isEqualTo(2);
    assertThat(response.getProps().getMessageId()).isEqualTo(command.messageId());
    assertThat(response.getProps().getCorrelationId()).isEqualTo(command.correlationId());
    assertThat(response.getProps().getType()).isEqualTo("AddItem");
    assertThat(serializer.deserializeCommand(response.getBody())).isEqualTo(command);
  }

  @Test
  void exchanges_and_queues_are_durable() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    bus.subscribe("durable", 1, event -> {}).close();
    String queue = namespace.prefix() + ".events.durable";
    String exchange = namespace.prefix() + ".events";

    // Declaring an existing entity with other properties fails: these must match what exists.
    assertThat(redeclareQueue(queue, false)).contains("inequivalent arg 'durable'");
    assertThat(redeclareExchange(exchange, false)).contains("inequivalent arg 'durable'");
    assertThat(redeclareExchange(exchange, true)).isNull();
  }

  @Test
  void
      a_queue_that_exists_with_other_arguments_fails_the_subscription_clearly_and_the_bus_goes_on() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    String conflicting = namespace.prefix() + ".events.conflict";
    namespace.deleteQueueOnClose(conflicting);
    namespace.withChannel(ch -> ch.queueDeclare(conflicting, true, false, false, Map.of()));

    Throwable refused = catchThrowable(() -> bus.subscribe("conflict", 1, event -> {}));

    assertThat(refused)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining(conflicting)
        .hasMessageContaining("PRECONDITION_FAILED");
    Set<String> handled = ConcurrentHashMap.newKeySet();
    bus.subscribe("fine", 1, event -> handled.add(event.id()));
    VersionedEvent event = TestMessages.event("x", 1);
    bus.publish(List.of(event));
    Await.until(WAIT, () -> "event not handled", () -> handled.contains(event.id()));
  }

  @Test
  void an_event_no_subscription_receives_fails_the_publish_only_when_configured_to() {
    RabbitEventBus lenient = namespace.eventBus(serializer);
    RabbitEventBus strict =
        namespace.track(namespace.eventBusBuilder(serializer).failOnUnroutable(true).build());

    lenient.publish(List.of(TestMessages.event("nobody", 1)));
    assertThatThrownBy(() -> strict.publish(List.of(TestMessages.event("nobody", 2))))
        .isInstanceOf(UnroutableMessageException.class)
        .satisfies(
            e -> assertThat(((UnroutableMessageException) e).messageType()).isEqualTo("ItemAdded"));
  }

  /**
   * A service whose read models are all tracking processors publishes every event to an exchange
   * nobody consumes: a warning per event type a minute was noise it could not turn off.
   * slf4j-simple (this module's test logger) writes to the current System.err, at WARN here.
   */
  @Test
  void unroutable_events_are_a_warning_unless_the_bus_is_told_they_are_expected() {
    RabbitEventBus warning = namespace.eventBus(serializer);
    RabbitEventBus quiet =
        namespace.track(namespace.eventBusBuilder(serializer).warnOnUnroutable(false).build());

    String quietOutput = standardError(() -> quiet.publish(List.of(TestMessages.event("q", 1))));
    String warningOutput =
        standardError(() -> warning.publish(List.of(TestMessages.event("w", 1))));

    assertThat(quietOutput).doesNotContain("Unroutable events");
    assertThat(warningOutput)
        .contains("WARN RabbitEventBus - Unroutable events: 1 event(s) of type");
  }

  /** What {@code action} wrote to System.err on this thread's watch; the publish logs on it. */
  private static String standardError(Runnable action) {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void publishing_to_an_exchange_an_operator_deleted_fails_at_once_as_non_transient() {
    RabbitEventBus bus = namespace.eventBus(serializer);
    String exchange = namespace.prefix() + ".events";
    namespace.withChannel(channel -> channel.exchangeDelete(exchange));

    Throwable refused = catchThrowable(() -> bus.publish(List.of(TestMessages.event("gone", 1))));

    assertThat(refused)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("NOT_FOUND")
        .hasMessageContaining(exchange);
  }

  @Test
  void an_asynchronous_publication_to_a_deleted_exchange_fails_long_before_its_timeout() {
    RabbitEventBus bus =
        namespace.track(
            namespace.eventBusBuilder(serializer).publishTimeout(Duration.ofMinutes(10)).build());
    String exchange = namespace.prefix() + ".events";
    namespace.withChannel(channel -> channel.exchangeDelete(exchange));

    CompletableFuture<Void> published = bus.publishAsync(List.of(TestMessages.event("gone", 1)));

    assertThat(published)
        .failsWithin(Duration.ofSeconds(60))
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(NonTransientCqrsException.class)
        .withMessageContaining("NOT_FOUND")
        .withMessageContaining(exchange);
  }

  @Test
  void closing_acknowledges_the_event_in_hand_and_returns_the_prefetched_ones_to_the_queue()
      throws Exception {
    RabbitEventBus bus = namespace.eventBus(serializer);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    Subscription subscription =
        bus.subscribe(
            "closing",
            1,
            event -> {
              calls.incrementAndGet();
              entered.countDown();
              release.await(30, TimeUnit.SECONDS);
            });
    bus.publish(TestMessages.stream("c", 10));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    Thread closing = new Thread(subscription::close, "closing");
    closing.start();
    // Release the handler only once close() waits for it, so no second event starts.
    Await.until(WAIT, () -> "close() waiting", () -> closing.getState() == Thread.State.WAITING);
    release.countDown();
    closing.join(WAIT.toMillis());
    assertThat(closing.isAlive()).as("close() still running").isFalse();
    assertThat(calls).as("events handled").hasValue(1);

    String queue = namespace.prefix() + ".events.closing";
    namespace.withChannel(
        channel -> {
          Await.until(
              WAIT, () -> ready(channel, queue) + " ready", () -> ready(channel, queue) == 9);
          return null;
        });
  }

  @Test
  void a_broker_that_refuses_the_credentials_fails_the_build_without_showing_them() {
    String host = namespace.connectionFactory().getHost();
    int port = namespace.connectionFactory().getPort();

    Throwable refused =
        catchThrowable(
            () ->
                RabbitEventBus.builder(
                        "amqp://guest:s3cret-pw@" + host + ":" + port + "/%2f", serializer)
                    .build());

    assertThat(refused)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("refused");
    assertThat(refused.getMessage()).doesNotContain("s3cret-pw").doesNotContain("guest");
  }

  @Test
  void an_unreachable_broker_fails_the_build_as_transient_naming_only_host_and_port()
      throws IOException {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort();
    }

    Throwable unreachable =
        catchThrowable(
            () ->
                RabbitCommandBus.builder(
                        "amqp://ada:s3cret-pw@127.0.0.1:" + closedPort + "/%2f", serializer)
                    .build());

    assertThat(unreachable)
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + closedPort);
    assertThat(((BrokerUnavailableException) unreachable).isTransient()).isTrue();
    assertThat(unreachable.getMessage()).doesNotContain("s3cret-pw").doesNotContain("ada");
  }

  @Test
  void the_test_brokers_uri_connects_a_bus_built_from_a_uri() {
    String uri = namespace.broker().amqpUri();
    Set<String> handled = ConcurrentHashMap.newKeySet();
    RabbitEventBus bus =
        namespace.track(RabbitEventBus.builder(uri, serializer).prefix(namespace.prefix()).build());
    bus.subscribe("from-uri", 1, event -> handled.add(event.id()));
    VersionedEvent event = TestMessages.event("u", 1);

    bus.publish(List.of(event));

    Await.until(WAIT, () -> "event not handled", () -> handled.contains(event.id()));
  }

  /** A test queue bound to an exchange, deleted with the namespace. */
  private String tap(String exchange, String routingKey) {
    String queue = namespace.prefix() + ".tap";
    namespace.deleteQueueOnClose(queue);
    namespace.withChannel(
        channel -> {
          channel.queueDeclare(queue, false, false, false, null);
          return channel.queueBind(queue, exchange, routingKey);
        });
    return queue;
  }

  private String redeclareQueue(String queue, boolean durable) {
    return refusal(ch -> ch.queueDeclare(queue, durable, false, false, deadLetterArguments(queue)));
  }

  private static Map<String, Object> deadLetterArguments(String queue) {
    return Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", queue + ".dlq");
  }

  private String redeclareExchange(String exchange, boolean durable) {
    return refusal(ch -> ch.exchangeDeclare(exchange, "topic", durable));
  }

  /** The broker's refusal of a declaration, or {@code null} if it accepted it. */
  private String refusal(RabbitNamespace.ChannelWork<?> declaration) {
    try {
      namespace.withChannel(declaration);
      return null;
    } catch (IllegalStateException e) {
      Throwable cause = e.getCause();
      return String.valueOf(cause.getCause() == null ? cause : cause.getCause());
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  private static long ready(Channel channel, String queue) {
    try {
      return channel.messageCount(queue);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
