package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.rabbitmq.BrokerUsers.Role;
import io.cqrs.rabbitmq.BrokerUsers.User;
import io.cqrs.rabbitmq.TestMessages.AddItem;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker users of {@code docs/security.md}, created for this test with exactly the documented
 * permissions: an API that sends commands, a worker that handles them, publishes events and runs
 * read models, and an operator that declares the topology. Each is held to what its role may do.
 */
class BrokerPermissionsIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration RETRY = Duration.ofMillis(100);

  /** Long, so that a refusal that hung until the publish timeout would fail the test's deadline. */
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(60);

  private static final Duration REFUSED_WITHIN = Duration.ofSeconds(15);

  private static final EventSerializer serializer = TestMessages.serializer();
  private static RabbitNamespace namespace;
  private static RabbitNamespace other;
  private static BrokerUsers users;
  private static User api;
  private static User worker;
  private static User operator;

  @BeforeAll
  static void users() {
    RabbitTestBroker broker = RabbitTestBroker.get();
    namespace = broker.newNamespace("perm");
    other = broker.newNamespace("perm-other");
    namespace.requireAdmin();
    users = new BrokerUsers(broker);
    api = users.create("perm", Role.api(namespace.prefix()));
    worker = users.create("perm", Role.worker(namespace.prefix()));
    operator = users.create("perm", Role.operator(namespace.prefix()));
  }

  @AfterAll
  static void deleteUsers() {
    if (users != null) {
      users.close();
    }
    if (namespace != null) {
      namespace.close();
      other.close();
    }
  }

  @Test
  void the_whole_path_works_with_each_role_holding_only_its_documented_permissions() {
    RabbitCommandBus operatorCommands = namespace.track(commands(operator, namespace).build());
    RabbitEventBus operatorEvents = namespace.track(events(operator, namespace).build());
    operatorCommands.declareService("path", Set.of("AddItem"));
    operatorEvents.declareSubscription("path-projection");
    RabbitCommandBus workerCommands =
        namespace.track(commands(worker, namespace).declareTopology(false).build());
    RabbitEventBus workerEvents =
        namespace.track(events(worker, namespace).declareTopology(false).build());
    RabbitCommandBus apiCommands =
        namespace.track(commands(api, namespace).declareTopology(false).build());
    Map<String, Integer> attempts = new ConcurrentHashMap<>();
    Set<String> projected = ConcurrentHashMap.newKeySet();
    workerEvents.subscribe(
        "path-projection",
        1,
        event -> projected.add(((TestMessages.ItemAdded) event.event()).item()));
    workerCommands.subscribe(
        "path",
        Set.of("AddItem"),
        1,
        command -> {
          String item = ((AddItem) command.body()).item();
          if (attempts.merge(item, 1, Integer::sum) == 1) {
            // The retry goes through the failure exchange, with the worker's permissions.
            throw new IllegalStateException("first attempt fails");
          }
          workerEvents.publish(List.of(itemAdded(item)));
        });

    apiCommands.publish(List.of(TestMessages.addItem("sent-by-the-api")));

    Await.until(WAIT, () -> "projected " + projected, () -> projected.contains("sent-by-the-api"));
    assertThat(attempts).containsEntry("sent-by-the-api", 2);
    // Queue depth for health checks: a passive declaration, which needs no permission.
    assertThat(workerCommands.deadLetterCount("path")).isZero();
    assertThat(workerEvents.deadLetterCount("path-projection")).isZero();
    assertThat(workerCommands.health().healthy()).isTrue();
    assertThat(workerEvents.health().healthy()).isTrue();
  }

  @Test
  void the_worker_dead_letters_and_replays_a_command_with_its_documented_permissions() {
    namespace
        .track(commands(operator, namespace).build())
        .declareService("replay", Set.of("AddItem"));
    RabbitCommandBus workerCommands =
        namespace.track(commands(worker, namespace).declareTopology(false).build());
    RabbitCommandBus apiCommands =
        namespace.track(commands(api, namespace).declareTopology(false).build());
    Set<String> handled = ConcurrentHashMap.newKeySet();
    Map<String, Integer> attempts = new ConcurrentHashMap<>();
    workerCommands.subscribe(
        "replay",
        Set.of("AddItem"),
        1,
        command -> {
          String item = ((AddItem) command.body()).item();
          if (attempts.merge(item, 1, Integer::sum) == 1) {
            throw new NonTransientCqrsException("dead-letter it");
          }
          handled.add(item);
        });

    apiCommands.publish(List.of(TestMessages.addItem("dead-then-replayed")));
    Await.until(WAIT, () -> "no dead letter", () -> workerCommands.deadLetterCount("replay") == 1);
    long replayed = workerCommands.replayDeadLetters("replay", 10);

    assertThat(replayed).isEqualTo(1);
    Await.until(WAIT, () -> "handled " + handled, () -> handled.contains("dead-then-replayed"));
    assertThat(workerCommands.deadLetterCount("replay")).isZero();
  }

  @Test
  void
      the_api_is_refused_publishing_an_event_at_once_with_the_brokers_reason_and_nothing_arrives() {
    namespace.track(events(operator, namespace).build()).declareSubscription("api-probe");
    RabbitEventBus apiEvents =
        namespace.track(events(api, namespace).declareTopology(false).build());
    String exchange = namespace.prefix() + ".events";

    Throwable refused =
        assertTimeoutPreemptively(
            REFUSED_WITHIN, () -> catchThrowable(() -> apiEvents.publish(List.of(itemAdded("x")))));
    CompletableFuture<Void> async = apiEvents.publishAsync(List.of(itemAdded("y")));
    Throwable asyncRefused =
        assertTimeoutPreemptively(
            REFUSED_WITHIN,
            () -> catchThrowable(() -> async.get(REFUSED_WITHIN.toSeconds(), TimeUnit.SECONDS)));

    assertThat(refused)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("ACCESS_REFUSED")
        .hasMessageContaining("exchange '" + exchange + "'");
    assertThat(asyncRefused).isInstanceOf(ExecutionException.class);
    assertThat(asyncRefused.getCause())
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("ACCESS_REFUSED");
    // Not "the queue is empty": the namespace is shared by the class, and a worker of an earlier
    // test may still publish (a retried command's handler), so look for these two events.
    assertThat(bodiesIn(namespace, namespace.prefix() + ".events.api-probe"))
        .noneMatch(body -> body.contains("source-x") || body.contains("source-y"));
  }

  @Test
  void the_api_sends_commands_with_publish_permission_on_the_command_exchange_alone() {
    namespace
        .track(commands(operator, namespace).build())
        .declareService("api-sends", Set.of("AddItem"));
    RabbitCommandBus apiCommands =
        namespace.track(commands(api, namespace).declareTopology(false).build());

    apiCommands.publish(List.of(TestMessages.addItem("a"), TestMessages.addItem("b")));

    assertThat(messagesIn(namespace, namespace.prefix() + ".commands.api-sends")).isEqualTo(2);
  }

  @Test
  void a_bus_that_declares_its_topology_needs_configure_permission_which_api_and_worker_lack() {
    for (User user : List.of(api, worker)) {
      assertThatThrownBy(() -> commands(user, namespace).build())
          .as(user.role().name())
          .isInstanceOf(NonTransientCqrsException.class)
          .hasMessageContaining("refused to declare exchange " + namespace.prefix() + ".commands")
          .hasMessageContaining("ACCESS_REFUSED");
    }
    RabbitCommandBus workerCommands =
        namespace.track(commands(worker, namespace).declareTopology(false).build());
    assertThatThrownBy(() -> workerCommands.declareService("not-yours", Set.of("AddItem")))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("ACCESS_REFUSED");
  }

  @Test
  void neither_operator_nor_worker_may_declare_anything_outside_their_prefix() {
    for (User user : List.of(operator, worker)) {
      assertThatThrownBy(() -> events(user, other).build())
          .as(user.role().name())
          .isInstanceOf(NonTransientCqrsException.class)
          .hasMessageContaining("refused to declare exchange " + other.prefix() + ".events")
          .hasMessageContaining("ACCESS_REFUSED");
    }
    // A raw declaration by the operator of a name under another prefix: refused all the same.
    Throwable queueRefused =
        catchThrowable(
            () ->
                withChannel(
                    operator,
                    channel ->
                        channel.queueDeclare(
                            other.prefix() + ".events.sneaky", true, false, false, null)));
    assertThat(queueRefused).hasStackTraceContaining("ACCESS_REFUSED");
  }

  @Test
  void the_worker_can_neither_publish_to_nor_consume_from_another_prefix() {
    RabbitEventBus otherEvents =
        other.track(other.eventBusBuilder(serializer).retryDelays(RETRY).build());
    otherEvents.declareSubscription("victim");
    String victim = other.prefix() + ".events.victim";
    RabbitEventBus intruder = other.track(events(worker, other).declareTopology(false).build());

    Throwable published =
        assertTimeoutPreemptively(
            REFUSED_WITHIN, () -> catchThrowable(() -> intruder.publish(List.of(itemAdded("x")))));
    Throwable consumed = catchThrowable(() -> intruder.subscribe("victim", 1, event -> {}));

    assertThat(published)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("ACCESS_REFUSED");
    assertThat(consumed)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("refused to let a listener consume")
        .hasMessageContaining("ACCESS_REFUSED");
    assertThat(messagesIn(other, victim)).isZero();
  }

  @Test
  void the_worker_cannot_reach_any_queue_through_the_default_exchange() {
    RabbitEventBus otherEvents = other.eventBus(serializer);
    otherEvents.declareSubscription("default-exchange-victim");
    String victim = other.prefix() + ".events.default-exchange-victim";

    Throwable refused =
        catchThrowable(
            () ->
                withChannel(
                    worker,
                    channel -> {
                      channel.confirmSelect();
                      channel.basicPublish(
                          "",
                          victim,
                          MessageProperties.PERSISTENT_BASIC,
                          "forged".getBytes(StandardCharsets.UTF_8));
                      channel.waitForConfirmsOrDie(REFUSED_WITHIN.toMillis());
                      return null;
                    }));

    assertThat(refused).hasStackTraceContaining("ACCESS_REFUSED");
    assertThat(refused).hasStackTraceContaining("amq.default");
    assertThat(messagesIn(other, victim)).isZero();
  }

  @Test
  void without_declaring_a_bus_names_the_missing_queue_that_an_operator_must_declare() {
    RabbitCommandBus workerCommands =
        namespace.track(commands(worker, namespace).declareTopology(false).build());

    assertThatThrownBy(
            () -> workerCommands.subscribe("never-declared", Set.of("AddItem"), 1, command -> {}))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("has no queue " + namespace.prefix() + ".commands.never-declared")
        .hasMessageContaining("declareTopology(false)")
        .hasMessageContaining("NOT_FOUND");
    assertThatThrownBy(() -> commands(worker, other).declareTopology(false).build())
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("has no exchange " + other.prefix() + ".commands");
  }

  @Test
  void declaring_a_dead_lettering_queue_needs_write_on_the_default_exchange_as_documented() {
    Role operatorRole = Role.operator(namespace.prefix());
    User withoutDefault =
        users.create(
            "perm-nodefault",
            new Role(
                "operator-without-default",
                operatorRole.configure(),
                "^" + Role.quote(namespace.prefix()) + "\\..*$",
                operatorRole.read()));
    RabbitEventBus bus = namespace.track(events(withoutDefault, namespace).build());

    assertThatThrownBy(() -> bus.declareSubscription("needs-default"))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining("ACCESS_REFUSED")
        .hasMessageContaining("amq.default");
  }

  @Test
  void a_passive_declaration_needs_no_permission_so_queue_depth_checks_work_for_every_role() {
    namespace.track(events(operator, namespace).build()).declareSubscription("depth");
    String queue = namespace.prefix() + ".events.depth";
    namespace.eventBus(serializer).publish(List.of(itemAdded("waiting")));

    for (User user : List.of(api, worker, operator)) {
      assertThat(
              (long)
                  withChannel(
                      user, channel -> channel.queueDeclarePassive(queue).getMessageCount()))
          .as(user.role().name())
          .isEqualTo(1L);
    }
  }

  private static RabbitCommandBus.Builder commands(User user, RabbitNamespace in) {
    return RabbitCommandBus.builder(users.factory(user), serializer)
        .prefix(in.prefix())
        .connectionName(in.prefix() + "-" + user.role().name() + "-commands")
        .retryDelays(RETRY)
        .publishTimeout(PUBLISH_TIMEOUT);
  }

  private static RabbitEventBus.Builder events(User user, RabbitNamespace in) {
    return RabbitEventBus.builder(users.factory(user), serializer)
        .prefix(in.prefix())
        .connectionName(in.prefix() + "-" + user.role().name() + "-events")
        .retryDelays(RETRY)
        .publishTimeout(PUBLISH_TIMEOUT);
  }

  private static VersionedEvent itemAdded(String item) {
    VersionedEvent template = TestMessages.event("source-" + item, 1);
    return new VersionedEvent(
        template.id(),
        template.correlationId(),
        template.causationId(),
        template.sourceId(),
        template.actor(),
        template.onBehalfOf(),
        template.version(),
        template.eventType(),
        template.created(),
        new TestMessages.ItemAdded(item, 1),
        template.metadata());
  }

  /** Takes every message in {@code queue} and returns its body. */
  private static List<String> bodiesIn(RabbitNamespace in, String queue) {
    return in.withChannel(
        channel -> {
          List<String> bodies = new java.util.ArrayList<>();
          for (var got = channel.basicGet(queue, true);
              got != null;
              got = channel.basicGet(queue, true)) {
            bodies.add(new String(got.getBody(), java.nio.charset.StandardCharsets.UTF_8));
          }
          return bodies;
        });
  }

  private static long messagesIn(RabbitNamespace in, String queue) {
    return in.withChannel(channel -> channel.messageCount(queue));
  }

  private static <T> T withChannel(User user, RabbitNamespace.ChannelWork<T> work) {
    try (Connection connection = users.factory(user).newConnection(user.name() + "-raw");
        Channel channel = connection.createChannel()) {
      return work.run(channel);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
