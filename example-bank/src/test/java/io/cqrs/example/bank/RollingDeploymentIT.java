package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.NewerRevisionException;
import io.cqrs.Projection;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.rabbitmq.CqrsHeaders;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.spi.QueuedDeadLetter;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rolling deployment of a revision bump (docs/schema-evolution.md, "Rolling deployments: two
 * versions at once") end to end over the real transports: two versions of an application in this
 * JVM, each with its own {@link TypeRegistry} and its own classes under the same type names, on one
 * Couchbase key prefix and one RabbitMQ prefix, their workers under one service name, so that they
 * compete for its commands. Version 2 renamed {@code qty} to {@code quantity} (revision 2 of the
 * event and of the command) and, while version 1 runs, pins both types' write revision to 1.
 */
class RollingDeploymentIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String SERVICE = "orders";
  private static final String SUBSCRIPTION = "orders-v1";
  private static final String READ_MODEL = "orders-v1-read-model";
  private static final Duration[] RETRIES = {Duration.ofMillis(200), Duration.ofMillis(400)};

  /** Version 1 of the application: revision 1 of the event and the command. */
  static final class V1 {
    @TypeName("OrderPlaced")
    record OrderPlaced(String orderId, int qty) {}

    @TypeName("PlaceOrder")
    record PlaceOrder(String orderId, int qty) {}

    @TypeName("Order")
    static final class Order extends EventSourceBased {
      private int qty;

      Order(String id) {
        super(id);
      }

      void place(int qty) {
        update(new OrderPlaced(id(), qty));
      }

      int qty() {
        return qty;
      }

      private void handleOrderPlaced(OrderPlaced placed) {
        qty += placed.qty();
      }
    }

    static TypeRegistry registry() {
      return new TypeRegistry()
          .registerAggregate(Order.class, OrderPlaced.class)
          .registerCommands(PlaceOrder.class);
    }
  }

  /** Version 2: "qty" renamed "quantity", a revision bump of the event and of the command. */
  static final class V2 {
    @TypeName(value = "OrderPlaced", revision = 2)
    record OrderPlaced(String orderId, int quantity) {}

    @TypeName(value = "PlaceOrder", revision = 2)
    record PlaceOrder(String orderId, int quantity) {}

    @TypeName("Order")
    static final class Order extends EventSourceBased {
      private int quantity;

      Order(String id) {
        super(id);
      }

      void place(int quantity) {
        update(new OrderPlaced(id(), quantity));
      }

      int quantity() {
        return quantity;
      }

      private void handleOrderPlaced(OrderPlaced placed) {
        quantity += placed.quantity();
      }
    }

    /** The first deployment: reads revisions 1 and 2, writes revision 1. */
    static TypeRegistry registry() {
      TypeRegistry registry =
          new TypeRegistry()
              .registerAggregate(Order.class, OrderPlaced.class)
              .registerCommands(PlaceOrder.class);
      for (Class<?> type : List.of(OrderPlaced.class, PlaceOrder.class)) {
        registry
            .upcaster(type, 1, payload -> rename(payload, "qty", "quantity"))
            .downcaster(type, 2, payload -> rename(payload, "quantity", "qty"))
            .writeRevision(type, 1);
      }
      return registry;
    }

    private static ObjectNode rename(ObjectNode payload, String from, String to) {
      payload.set(to, payload.remove(from));
      return payload;
    }
  }

  /** A command a worker handled: which version, the order and the quantity its body had. */
  record Handled(String version, String orderId, int quantity) {}

  /** Version 1's read model, fed by its tracking processor from the Couchbase log. */
  static final class OrdersReadModel implements Projection {
    final Map<String, Long> versions = new ConcurrentHashMap<>();
    final Map<String, Integer> quantities = new ConcurrentHashMap<>();

    @Override
    public long appliedVersion(String streamId) {
      return versions.getOrDefault(streamId, 0L);
    }

    @Override
    public void apply(VersionedEvent event) {
      V1.OrderPlaced placed = (V1.OrderPlaced) event.event();
      quantities.merge(placed.orderId(), placed.qty(), Integer::sum);
      versions.put(event.sourceId(), event.version());
    }
  }

  private final List<Cqrs> running = new ArrayList<>();
  private final List<Handled> handled = new CopyOnWriteArrayList<>();
  private RabbitNamespace rabbit;
  private TypeRegistry v1Types;
  private TypeRegistry v2Types;
  private CouchbaseEventStreamRepository v1Store;
  private CouchbaseEventStreamRepository v2Store;

  @BeforeEach
  void servers() {
    rabbit = RabbitTestBroker.get().newNamespace("rolling");
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
    v1Types = V1.registry();
    v2Types = V2.registry();
    // One store prefix, a repository (and serializer) per version, as two processes have.
    v1Store =
        CouchbaseEventStreamRepository.builder(couchbase.collection(), new EventSerializer(v1Types))
            .keyPrefix(rabbit.prefix())
            .build();
    v2Store =
        CouchbaseEventStreamRepository.builder(couchbase.collection(), new EventSerializer(v2Types))
            .keyPrefix(rabbit.prefix())
            .build();
  }

  @AfterEach
  void close() {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    rabbit.close();
  }

  @Test
  void version_1_and_version_2_share_store_and_broker_while_version_2_writes_revision_1() {
    // Version 1's read side: a tracking processor on the Couchbase log, a RabbitMQ subscription.
    OrdersReadModel readModel = new OrdersReadModel();
    Map<String, Integer> subscribed = new ConcurrentHashMap<>();
    Cqrs v1Reader = process("v1-reader", v1Types, v1Store);
    v1Reader.processor(READ_MODEL, readModel);
    v1Reader.onEvent(
        SUBSCRIPTION,
        V1.OrderPlaced.class,
        event -> {
          V1.OrderPlaced placed = (V1.OrderPlaced) event.event();
          subscribed.merge(placed.orderId(), placed.qty(), Integer::sum);
        });
    v1Reader.start();
    RabbitEventBus v1ReaderEvents = (RabbitEventBus) v1Reader.eventBus();

    // 1. Commands version 2 sends, taken by a version 1 worker (version 2's is not running)...
    Cqrs v1Worker = v1Worker("v1-worker-a").start();
    Cqrs v2Worker = v2Worker("v2-worker-a");
    // Version 2's sender: never started, it only sends.
    Cqrs v2Client = process("v2-client", v2Types, v2Store);
    for (int i = 1; i <= 3; i++) {
      v2Client.send(new V2.PlaceOrder("a-" + i, 10 + i));
    }
    awaitHandled(3);
    assertThat(handled)
        .containsExactlyInAnyOrder(
            new Handled("v1", "a-1", 11),
            new Handled("v1", "a-2", 12),
            new Handled("v1", "a-3", 13));

    // ...then by a version 2 worker once version 1's stopped; one on an order version 1 wrote.
    v1Worker.close();
    v2Worker.start();
    for (int i = 1; i <= 3; i++) {
      v2Client.send(new V2.PlaceOrder("b-" + i, 20 + i));
    }
    v2Client.send(new V2.PlaceOrder("a-1", 100));
    awaitHandled(7);
    assertThat(handled.subList(3, 7))
        .containsExactlyInAnyOrder(
            new Handled("v2", "b-1", 21),
            new Handled("v2", "b-2", 22),
            new Handled("v2", "b-3", 23),
            new Handled("v2", "a-1", 100));

    // 2. What version 2 saved, version 1 loads, its read model reads from the log and its
    // subscription consumes from the bus, each quantity as sent.
    Map<String, Integer> all =
        Map.of("a-1", 111, "a-2", 12, "a-3", 13, "b-1", 21, "b-2", 22, "b-3", 23);
    for (Map.Entry<String, Integer> order : all.entrySet()) {
      assertThat(v1Reader.repository().get(order.getKey(), V1.Order::new).qty())
          .as("version 1 loads %s", order.getKey())
          .isEqualTo(order.getValue());
      assertThat(v2Worker.repository().get(order.getKey(), V2.Order::new).quantity())
          .as("version 2 loads %s", order.getKey())
          .isEqualTo(order.getValue());
    }
    assertThat(v1Reader.repository().get("a-1", V1.Order::new).version()).isEqualTo(2);
    Await.until(
        SETTLE,
        "version 1's read model to read every order",
        () -> readModel.quantities.equals(all));
    Await.until(
        SETTLE, "version 1's subscription to get every order", () -> subscribed.equals(all));
    assertThat(readModel.versions).containsEntry("a-1", 2L).containsEntry("b-1", 1L);
    assertThat(v1ReaderEvents.deadLetterCount(SUBSCRIPTION)).isZero();

    // 3. Version 2 drops the pins: version 1 dead-letters what it cannot read, and keeps it.
    v2Types.writeRevision(V2.OrderPlaced.class, 2).writeRevision(V2.PlaceOrder.class, 2);

    // An event at revision 2: saved and published by version 2's worker.
    v2Client.send(new V2.PlaceOrder("c-1", 7));
    awaitHandled(8);
    assertThat(handled.get(7)).isEqualTo(new Handled("v2", "c-1", 7));
    Await.until(
        SETTLE,
        "version 1's subscription to dead-letter the revision 2 event",
        () -> v1ReaderEvents.deadLetterCount(SUBSCRIPTION) == 1);
    VersionedEvent stored = v2Store.loadStream("c-1", 1).events().get(0);
    List<QueuedDeadLetter> eventLetters = v1ReaderEvents.peekDeadLetters(SUBSCRIPTION, 10);
    assertThat(eventLetters).hasSize(1);
    assertThat(eventLetters.get(0).reason()).isEqualTo(CqrsHeaders.REASON_NEWER_REVISION);
    assertThat(eventLetters.get(0).type()).isEqualTo("OrderPlaced");
    assertThat(eventLetters.get(0).messageId()).isEqualTo(stored.id());
    assertThat(subscribed).isEqualTo(all);
    assertThat(readModel.quantities).isEqualTo(all);
    assertThatThrownBy(() -> v1Reader.repository().get("c-1", V1.Order::new))
        .satisfies(
            e -> assertThat(causes(e)).hasAtLeastOneElementOfType(NewerRevisionException.class));
    assertThat(v2Worker.repository().get("c-1", V2.Order::new).quantity()).isEqualTo(7);

    // A command at revision 2, taken by a version 1 worker (version 2's stopped).
    v2Worker.close();
    Cqrs v1WorkerB = v1Worker("v1-worker-b").start();
    RabbitCommandBus v1Commands = (RabbitCommandBus) v1WorkerB.commandBus();
    Command refused = v2Client.send(new V2.PlaceOrder("d-1", 5));
    Await.until(
        SETTLE,
        "version 1's worker to dead-letter the revision 2 command",
        () -> v1Commands.deadLetterCount(SERVICE) == 1);
    List<QueuedDeadLetter> commandLetters = v1Commands.peekDeadLetters(SERVICE, 10);
    assertThat(commandLetters).hasSize(1);
    assertThat(commandLetters.get(0).reason()).isEqualTo(CqrsHeaders.REASON_NEWER_REVISION);
    assertThat(commandLetters.get(0).type()).isEqualTo("PlaceOrder");
    assertThat(commandLetters.get(0).messageId()).isEqualTo(refused.messageId());
    assertThat(handled).hasSize(8);
    assertThat(v1Store.version("d-1")).isZero();

    // Nothing lost: once version 2 alone runs, the replayed command takes effect.
    v1WorkerB.close();
    Cqrs v2WorkerB = v2Worker("v2-worker-b").start();
    RabbitCommandBus v2Commands = (RabbitCommandBus) v2WorkerB.commandBus();
    assertThat(v2Commands.replayDeadLetters(SERVICE, 10)).isEqualTo(1);
    awaitHandled(9);
    assertThat(handled.get(8)).isEqualTo(new Handled("v2", "d-1", 5));
    assertThat(v2WorkerB.repository().get("d-1", V2.Order::new).quantity()).isEqualTo(5);
    assertThat(v2Commands.deadLetterCount(SERVICE)).isZero();
    // Its revision 2 event joins the first in version 1's dead letters, for a replay once v2 alone
    // reads that subscription.
    Await.until(
        SETTLE,
        "version 1's subscription to dead-letter the second revision 2 event",
        () -> v1ReaderEvents.deadLetterCount(SUBSCRIPTION) == 2);
    assertThat(v1ReaderEvents.peekDeadLetters(SUBSCRIPTION, 10))
        .extracting(QueuedDeadLetter::reason)
        .containsOnly(CqrsHeaders.REASON_NEWER_REVISION);
    assertThat(subscribed).isEqualTo(all);
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  private void awaitHandled(int count) {
    Await.until(
        SETTLE, () -> count + " commands handled, " + handled, () -> handled.size() >= count);
    assertThat(handled).hasSize(count);
  }

  /** A version 1 worker under the shared service name. */
  private Cqrs v1Worker(String name) {
    Cqrs cqrs = process(name, v1Types, v1Store);
    cqrs.onCommand(
        V1.PlaceOrder.class,
        (body, command) -> {
          V1.Order order =
              cqrs.repository()
                  .find(body.orderId(), V1.Order::new)
                  .orElseGet(() -> new V1.Order(body.orderId()));
          order.place(body.qty());
          cqrs.repository().save(order, command);
          handled.add(new Handled("v1", body.orderId(), body.qty()));
        });
    return cqrs;
  }

  /** A version 2 worker under the shared service name. */
  private Cqrs v2Worker(String name) {
    Cqrs cqrs = process(name, v2Types, v2Store);
    cqrs.onCommand(
        V2.PlaceOrder.class,
        (body, command) -> {
          V2.Order order =
              cqrs.repository()
                  .find(body.orderId(), V2.Order::new)
                  .orElseGet(() -> new V2.Order(body.orderId()));
          order.place(body.quantity());
          cqrs.repository().save(order, command);
          handled.add(new Handled("v2", body.orderId(), body.quantity()));
        });
    return cqrs;
  }

  /**
   * One process of a version: its registry, its store, its own command and event buses (each on a
   * connection of its own) under the shared prefix and service name. No relay: it would publish
   * again only what a save had published, which is not what this test is about.
   */
  private Cqrs process(String name, TypeRegistry types, CouchbaseEventStreamRepository store) {
    EventSerializer serializer = new EventSerializer(types);
    RabbitCommandBus commands =
        rabbit.track(
            rabbit
                .commandBusBuilder(serializer)
                .retryDelays(RETRIES)
                .connectionName(rabbit.prefix() + "-" + name + "-commands")
                .build());
    RabbitEventBus events =
        rabbit.track(
            rabbit
                .eventBusBuilder(serializer)
                .retryDelays(RETRIES)
                .connectionName(rabbit.prefix() + "-" + name + "-events")
                .build());
    Cqrs cqrs =
        Cqrs.builder()
            .types(types)
            .store(store)
            .service(SERVICE)
            .commandBus(commands)
            .eventBus(events)
            .relay(false)
            .snapshotPolicy(SnapshotPolicy.never())
            .shutdownTimeout(Duration.ofSeconds(10))
            .build();
    running.add(cqrs);
    return cqrs;
  }
}
