package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.rabbitmq.BrokerUsers.Role;
import io.cqrs.rabbitmq.BrokerUsers.User;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the copies the framework publishes (retries, dead letters, replays) keep of a message a
 * client published: not its sender-selected routes ({@code CC}, {@code BCC}), which would send a
 * copy through the failure exchange into any queue of the prefix, and not its {@code user_id},
 * which the broker refuses from any other user.
 */
class FrameworkCopiesIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private final EventSerializer serializer = TestMessages.serializer();
  private final List<String> audited = new CopyOnWriteArrayList<>();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private RabbitNamespace namespace;
  private BrokerUsers users;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("copies");
  }

  @AfterEach
  void cleanUp() {
    try {
      namespace.close();
    } finally {
      if (users != null) {
        users.close();
      }
    }
  }

  @Test
  void a_forged_cc_header_does_not_carry_a_dead_lettered_command_into_an_event_subscription()
      throws Exception {
    RabbitCommandBus commands = commandBus(command -> handled.add(command.messageId()));
    RabbitEventBus events = auditedEvents();
    VersionedEvent forged = TestMessages.event("forged", 1);

    // A malformed command (its body is an event) that asks the broker to route it to the audit
    // subscription's queue too: the commands exchange has no such binding, the failure exchange
    // has.
    publishRawCommand(
        serializer.serialize(forged), Map.of("CC", List.of(auditQueue())), null, null);
    awaitCommandsHandledSoFar(commands);

    assertThat(auditedUntilSentinel(events)).doesNotContain(forged.id());
    assertThat(commands.deadLetterCount("orders")).isEqualTo(1);
    GetResponse dead = take(commands.deadLetterQueue("orders"));
    assertThat(dead.getProps().getHeaders()).doesNotContainKeys("CC", "BCC");
    assertThat(text(dead.getProps().getHeaders(), CqrsHeaders.REASON))
        .isEqualTo(CqrsHeaders.REASON_MALFORMED);
  }

  @Test
  void a_dead_letter_that_carries_a_cc_header_is_replayed_to_its_own_queue_only() {
    RabbitCommandBus commands = commandBus(command -> handled.add(command.messageId()));
    RabbitEventBus events = auditedEvents();
    VersionedEvent forged = TestMessages.event("forged-replay", 1);
    String deadLetters = commands.deadLetterQueue("orders");
    // A dead letter with a CC header, as one dead-lettered by an earlier version (or by the
    // broker itself) would hold it: put there through amq.direct, where its CC routes nowhere.
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .deliveryMode(2)
            .messageId("dead-with-cc")
            .headers(Map.of("CC", List.of(auditQueue())))
            .build();
    namespace.withChannel(
        channel -> {
          channel.queueBind(deadLetters, "amq.direct", deadLetters);
          channel.confirmSelect();
          channel.basicPublish("amq.direct", deadLetters, properties, serializer.serialize(forged));
          channel.waitForConfirmsOrDie(WAIT.toMillis());
          return null;
        });

    // The replay returns once the broker confirmed the copy: in every queue it was routed to.
    assertThat(commands.replayDeadLetters("orders", 10)).isEqualTo(1);

    assertThat(auditedUntilSentinel(events)).doesNotContain(forged.id());
  }

  @Test
  void a_command_with_its_publishers_user_id_is_dead_lettered_once_not_requeued_forever()
      throws Exception {
    failWithThePublishersUserId(
        "from-api-1",
        new NonTransientCqrsException("no retry can fix this"),
        1,
        CqrsHeaders.REASON_NON_TRANSIENT);
  }

  @Test
  void a_command_with_its_publishers_user_id_is_retried_and_dead_lettered_with_that_user()
      throws Exception {
    failWithThePublishersUserId(
        "from-api-2",
        new IllegalStateException("orders are down"),
        2,
        CqrsHeaders.REASON_HANDLER_FAILED);
  }

  /**
   * Publishes command {@code messageId} as the api user, with its {@code user_id}, to a consumer
   * that fails it with {@code failure} every time; it must take {@code expectedAttempts} attempts
   * and end as one dead letter of {@code reason} that names the user.
   */
  private void failWithThePublishersUserId(
      String messageId, RuntimeException failure, int expectedAttempts, String reason)
      throws Exception {
    RabbitCommandBus commands =
        commandBus(
            command -> {
              count(command);
              if (command.messageId().startsWith("from-api")) {
                throw failure;
              }
              handled.add(command.messageId());
            });
    User api = apiUser();
    Command command = signed(messageId);

    publishRawCommand(serializer.serialize(command), Map.of(), command.messageId(), api);

    Await.until(WAIT, () -> attempts + " attempts", () -> commands.deadLetterCount("orders") == 1);
    awaitCommandsHandledSoFar(commands);
    assertThat(attempts.get(messageId)).as("attempts").hasValue(expectedAttempts);
    assertDeadLetteredByTheFramework(commands, reason, expectedAttempts, api.name());
  }

  /** A command service "orders" of AddItem, with one retry after 50 ms. */
  private RabbitCommandBus commandBus(CommandConsumer consumer) {
    RabbitCommandBus bus =
        namespace.track(
            namespace.commandBusBuilder(serializer).retryDelays(Duration.ofMillis(50)).build());
    bus.subscribe("orders", Set.of("AddItem"), 1, consumer);
    return bus;
  }

  /** An event subscription "audit" that records the id of every event it gets, in order. */
  private RabbitEventBus auditedEvents() {
    RabbitEventBus bus = namespace.track(namespace.eventBusBuilder(serializer).build());
    bus.subscribe("audit", 1, event -> audited.add(event.id()));
    return bus;
  }

  /** A command whose message id (in its body, as the consumer sees it) is {@code messageId}. */
  private static Command signed(String messageId) {
    return Command.builder(new TestMessages.AddItem(messageId, 1)).messageId(messageId).build();
  }

  private String auditQueue() {
    return namespace.prefix() + ".events.audit";
  }

  private void count(Command command) {
    attempts.computeIfAbsent(command.messageId(), id -> new AtomicInteger()).incrementAndGet();
  }

  private User apiUser() {
    namespace.requireAdmin();
    users = new BrokerUsers(namespace.broker());
    return users.create("copies", Role.api(namespace.prefix()));
  }

  /**
   * Publishes a command as a client would, without a {@code type} property, with {@code messageId}
   * (or the body's), and, given a {@code user}, as that user with {@code user_id} set to its name.
   */
  private void publishRawCommand(
      byte[] body, Map<String, Object> headers, String messageId, User user) throws Exception {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .deliveryMode(2)
            .messageId(messageId == null ? "raw" : messageId)
            .userId(user == null ? null : user.name())
            .headers(headers)
            .build();
    if (user == null) {
      namespace.withChannel(
          channel -> {
            publishConfirmed(channel, properties, body);
            return null;
          });
      return;
    }
    try (Connection connection = users.factory(user).newConnection(namespace.prefix() + "-api");
        Channel channel = connection.createChannel()) {
      publishConfirmed(channel, properties, body);
    }
  }

  private void publishConfirmed(Channel channel, AMQP.BasicProperties properties, byte[] body)
      throws Exception {
    channel.confirmSelect();
    channel.basicPublish(namespace.prefix() + ".commands", "AddItem", true, properties, body);
    channel.waitForConfirmsOrDie(WAIT.toMillis());
  }

  /**
   * Publishes a sentinel command and waits until the service handled it: its one listener takes the
   * queue in order, so every command before it is settled, its copies confirmed by the broker in
   * every queue they were routed to.
   */
  private void awaitCommandsHandledSoFar(RabbitCommandBus commands) {
    Command sentinel = TestMessages.addItem("sentinel");
    commands.publish(sentinel);
    Await.until(
        WAIT, () -> "sentinel command not handled", () -> handled.contains(sentinel.messageId()));
  }

  /**
   * Publishes a sentinel event and returns what the audit subscription got up to it: its one
   * listener takes the queue in order, so anything routed there before is among them.
   */
  private List<String> auditedUntilSentinel(RabbitEventBus events) {
    VersionedEvent sentinel = TestMessages.event("sentinel", 1);
    events.publish(List.of(sentinel));
    Await.until(WAIT, () -> "audited " + audited, () -> audited.contains(sentinel.id()));
    return List.copyOf(audited);
  }

  private void assertDeadLetteredByTheFramework(
      RabbitCommandBus commands, String reason, int attemptsCounted, String user) {
    GetResponse dead = take(commands.deadLetterQueue("orders"));
    Map<String, Object> headers = dead.getProps().getHeaders();
    assertThat(text(headers, CqrsHeaders.REASON)).isEqualTo(reason);
    assertThat(headers.get(CqrsHeaders.ATTEMPTS)).isEqualTo(attemptsCounted);
    assertThat(dead.getProps().getUserId()).as("user_id").isNull();
    assertThat(text(headers, CqrsHeaders.ORIGINAL_USER_ID)).isEqualTo(user);
  }

  private GetResponse take(String queue) {
    GetResponse response = namespace.withChannel(channel -> channel.basicGet(queue, true));
    assertThat(response).as("a message in " + queue).isNotNull();
    return response;
  }

  private static String text(Map<String, Object> headers, String name) {
    Object value = headers == null ? null : headers.get(name);
    return value == null ? null : value.toString();
  }
}
