package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.BusHealth;
import io.cqrs.testing.Await;
import io.cqrs.testing.OwnThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The buses on a real three-node RabbitMQ cluster with quorum queues, losing a node while messages
 * flow: crashed (SIGKILL) under the consumers, under the publisher and under a queue's leader, hung
 * (SIGSTOP) under the consumers, and down while a bus is built. Every case checks that nothing
 * confirmed is lost and that work moves to another node within the time docs/rabbitmq.md promises
 * with the default heartbeat and recovery settings: 15 s for a crash, 20 s for a hung node.
 *
 * <p>The cluster is started once for the class by {@link RabbitCluster}, beside the machine's own
 * RabbitMQ; a node taken down by a test is brought back after it.
 */
class ClusterFailoverIT {
  private static final Logger log = LoggerFactory.getLogger(ClusterFailoverIT.class);
  private static final Duration CRASH_FAILOVER = Duration.ofSeconds(15);
  private static final Duration HUNG_FAILOVER = Duration.ofSeconds(20);
  private static final Duration DRAIN = Duration.ofSeconds(60);
  private static final int BATCH = 20;
  private static final long BATCH_PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  private static RabbitCluster cluster;

  private final EventSerializer serializer = TestMessages.serializer();
  private final String prefix = "failover-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<RabbitEventBus> buses = new ArrayList<>();
  private final Set<Integer> killed = new HashSet<>();
  private final Set<Integer> frozen = new HashSet<>();

  @BeforeAll
  static void cluster() {
    cluster = RabbitCluster.shared();
  }

  @AfterEach
  void closeBusesAndHealTheCluster() {
    Collections.reverse(buses);
    buses.forEach(RabbitEventBus::close);
    frozen.forEach(cluster::thaw);
    killed.forEach(cluster::restart);
  }

  private void kill(int node) {
    cluster.kill(node);
    killed.add(node);
  }

  private void freeze(int node) {
    cluster.freeze(node);
    frozen.add(node);
  }

  private void thaw(int node) {
    cluster.thaw(node);
    frozen.remove(node);
  }

  @Test
  void the_consumers_node_crashing_mid_stream_moves_handling_to_another_node_and_loses_nothing() {
    Handled handled = new Handled();
    RabbitEventBus consumer = bus(allNodes());
    consumer.subscribe("crash", 2, handled::record);
    int consumerNode = nodeOf(consumer, "/consume");
    RabbitEventBus publisher = bus(allNodesBut(consumerNode));
    Publishing publishing = Publishing.start(publisher, 3_000);

    handled.awaitAtLeast(500);
    long crashed = System.nanoTime();
    kill(consumerNode);

    awaitFailover(crashed, CRASH_FAILOVER, consumer, "/consume", consumerNode, handled::lastAt);
    log.info("Consumers handled again {} ms after their node crashed", sinceMillis(crashed));
    publishing.awaitDone();
    handled.awaitAll(publishing.confirmed());
    assertThat(publishing.failures()).isEmpty();
    assertThat(consumer.health().healthy()).as("health %s", consumer.health()).isTrue();
    log.info(
        "{} events handled {} times: {} duplicates",
        handled.unique(),
        handled.deliveries(),
        handled.deliveries() - handled.unique());
  }

  @Test
  void the_publishers_node_crashing_lets_publishing_go_on_through_another_node_within_seconds() {
    RabbitEventBus publisher = bus(allNodes());
    int publisherNode = nodeOf(publisher, "/publish");
    Handled handled = new Handled();
    RabbitEventBus consumer = bus(allNodesBut(publisherNode));
    consumer.subscribe("publisher-crash", 2, handled::record);
    Publishing blocking = Publishing.start(publisher, 3_000);
    Publishing async = Publishing.startAsync(publisher, 3_000);

    Await.until(
        Duration.ofSeconds(30),
        () -> "some events confirmed",
        () -> blocking.confirmed().size() >= 300 && async.confirmed().size() >= 300);
    long crashed = System.nanoTime();
    kill(publisherNode);

    awaitFailover(
        crashed, CRASH_FAILOVER, publisher, "/publish", publisherNode, blocking::lastConfirmedAt);
    log.info("Publishing confirmed again {} ms after its node crashed", sinceMillis(crashed));
    blocking.awaitDone();
    async.awaitDone();
    assertThat(blocking.failures()).isEmpty();
    assertThat(async.failures()).isEmpty();
    assertThat(Duration.ofNanos(blocking.longestCallNanos()))
        .as("the longest publish call")
        .isLessThan(CRASH_FAILOVER);
    assertThat(Duration.ofNanos(async.longestCallNanos()))
        .as("the longest time publishAsync held its caller")
        .isLessThan(CRASH_FAILOVER);
    List<String> confirmed = new ArrayList<>(blocking.confirmed());
    confirmed.addAll(async.confirmed());
    handled.awaitAll(confirmed);
  }

  /**
   * The hung node is not the queue's leader: a quorum queue whose leader hangs delivers nothing
   * until the cluster gives that node up (Erlang's net tick time, 45 to 75 s by default), which no
   * client setting changes (docs/rabbitmq.md, "Running on a cluster").
   */
  @Test
  void a_hung_consumers_node_is_noticed_and_left_within_twenty_seconds() {
    Handled handled = new Handled();
    int leaderNode = declareQueue("hung", handled);
    RabbitEventBus consumer = bus(allNodesBut(leaderNode));
    consumer.subscribe("hung", 2, handled::record);
    int consumerNode = nodeOf(consumer, "/consume");
    RabbitEventBus publisher = bus(allNodesBut(consumerNode));
    Publishing publishing = Publishing.start(publisher, 2_000);

    handled.awaitAtLeast(300);
    long frozen = System.nanoTime();
    freeze(consumerNode);

    awaitFailover(frozen, HUNG_FAILOVER, consumer, "/consume", consumerNode, handled::lastAt);
    log.info("Consumers handled again {} ms after their node hung", sinceMillis(frozen));
    // What the hung node's channel had delivered comes back once it resumes (or is given up).
    thaw(consumerNode);
    publishing.awaitDone();
    handled.awaitAll(publishing.confirmed());
    assertThat(publishing.failures()).isEmpty();
  }

  @Test
  void the_queue_leaders_node_crashing_shows_no_more_than_the_recovery_time() {
    Handled handled = new Handled();
    String subscription = "leader";
    String queue = queue(subscription);
    int leaderNode = declareQueue(subscription, handled);
    RabbitEventBus consumer = bus(allNodesBut(leaderNode));
    consumer.subscribe(subscription, 2, handled::record);
    RabbitEventBus publisher = bus(allNodesBut(leaderNode));
    Publishing publishing = Publishing.start(publisher, 3_000);

    handled.awaitAtLeast(500);
    long crashed = System.nanoTime();
    kill(leaderNode);

    publishing.awaitDone();
    handled.awaitAll(publishing.confirmed());
    assertThat(publishing.failures()).isEmpty();
    assertThat(Duration.ofNanos(handled.longestGapAfter(crashed)))
        .as("the longest pause in handling after the leader's node crashed")
        .isLessThan(CRASH_FAILOVER);
    assertThat(cluster.nodeIndex(cluster.quorumLeader(queue))).isNotEqualTo(leaderNode);
    assertThat(consumer.health().healthy()).as("health %s", consumer.health()).isTrue();
  }

  @Test
  void a_bus_built_while_a_listed_node_is_down_starts_and_works() {
    kill(2);
    Handled handled = new Handled();

    List<RabbitEventBus> built = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // shuffled lists: some of them start with the dead node
      RabbitEventBus bus = bus(allNodes());
      bus.subscribe("built-while-down", 1, handled::record);
      built.add(bus);
    }
    List<VersionedEvent> events = TestMessages.events(40);
    for (int i = 0; i < built.size(); i++) {
      built.get(i).publish(events.subList(i * 10, i * 10 + 10));
    }

    handled.awaitAll(events.stream().map(VersionedEvent::id).toList());
    for (RabbitEventBus bus : built) {
      BusHealth health = bus.health();
      assertThat(health.healthy()).as("health %s", health).isTrue();
      assertThat(health.connections())
          .allSatisfy(c -> assertThat(c.node()).isNotEqualTo("127.0.0.1:" + cluster.port(2)));
    }
  }

  // ---------------------------------------------------------------- helpers

  private RabbitEventBus bus(List<String> uris) {
    RabbitEventBus bus =
        RabbitEventBus.builder(uris, serializer)
            .prefix(prefix)
            .queueType(QueueType.QUORUM)
            .connectionName(prefix + "-" + buses.size())
            .build();
    buses.add(bus);
    return bus;
  }

  /**
   * Waits, until {@code budget} after {@code since}, for the bus's connection to reach another node
   * and for progress (an event handled, a publication confirmed) after that.
   */
  private static void awaitFailover(
      long since,
      Duration budget,
      RabbitEventBus bus,
      String connection,
      int lostNode,
      LongSupplier lastProgressAt) {
    Await.until(
        budget.minusNanos(System.nanoTime() - since),
        () -> "the connection to move from node " + lostNode + "; health " + bus.health(),
        () -> {
          int now = nodeOf(bus, connection);
          return now != 0 && now != lostNode;
        });
    long moved = System.nanoTime();
    Await.until(
        budget.minusNanos(System.nanoTime() - since),
        () -> "progress through the new node; health " + bus.health(),
        () -> lastProgressAt.getAsLong() > moved);
  }

  /**
   * Declares the subscription's quorum queue through a bus of its own and answers the node its
   * leader is on (RabbitMQ places it on the node of the declaring connection).
   */
  private int declareQueue(String subscription, Handled handled) {
    bus(allNodes()).subscribe(subscription, 1, handled::record).close();
    return cluster.nodeIndex(cluster.quorumLeader(queue(subscription)));
  }

  private String queue(String subscription) {
    return prefix + ".events." + subscription;
  }

  private static List<String> allNodes() {
    return IntStream.rangeClosed(1, cluster.size()).mapToObj(cluster::amqpUri).toList();
  }

  private static List<String> allNodesBut(int node) {
    return IntStream.rangeClosed(1, cluster.size())
        .filter(n -> n != node)
        .mapToObj(cluster::amqpUri)
        .toList();
  }

  /** The cluster node (from 1) that the bus's connection ending in {@code suffix} is on, or 0. */
  private static int nodeOf(RabbitEventBus bus, String suffix) {
    String connected = BusNodes.connectedNode(bus, suffix);
    for (int node = 1; node <= cluster.size(); node++) {
      if (("127.0.0.1:" + cluster.port(node)).equals(connected)) {
        return node;
      }
    }
    return 0;
  }

  private static long sinceMillis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  /** What a subscription handled: ids, deliveries and when each was handled. */
  private static final class Handled {
    private final Map<String, Boolean> ids = new ConcurrentHashMap<>();
    private final AtomicInteger deliveries = new AtomicInteger();
    private final AtomicLong lastAt = new AtomicLong();
    private final Queue<Long> times = new ConcurrentLinkedQueue<>();

    void record(VersionedEvent event) {
      long now = System.nanoTime();
      ids.put(event.id(), Boolean.TRUE);
      deliveries.incrementAndGet();
      lastAt.set(now);
      times.add(now);
    }

    long lastAt() {
      return lastAt.get();
    }

    int unique() {
      return ids.size();
    }

    int deliveries() {
      return deliveries.get();
    }

    void awaitAtLeast(int count) {
      Await.until(
          Duration.ofSeconds(30),
          () -> ids.size() + " handled of " + count,
          () -> ids.size() >= count);
    }

    void awaitAll(List<String> expected) {
      Await.until(
          DRAIN,
          () -> expected.stream().filter(id -> !ids.containsKey(id)).count() + " not handled yet",
          () -> ids.keySet().containsAll(expected));
    }

    /** The longest time without a handled event, from {@code from} to the last one handled. */
    long longestGapAfter(long from) {
      List<Long> sorted = new ArrayList<>(times);
      Collections.sort(sorted);
      long previous = from;
      long longest = 0;
      for (long at : sorted) {
        if (at > from) {
          longest = Math.max(longest, at - previous);
          previous = at;
        }
      }
      return longest;
    }
  }

  /**
   * A thread publishing paced batches with {@code publish} or {@code publishAsync}, recording what
   * was confirmed, what failed and how long a call held the thread.
   */
  private static final class Publishing {
    private final Queue<String> confirmed = new ConcurrentLinkedQueue<>();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final Queue<CompletableFuture<Void>> settled = new ConcurrentLinkedQueue<>();
    private final AtomicLong lastConfirmedAt = new AtomicLong();
    private final AtomicLong longestCall = new AtomicLong();
    private final CompletableFuture<Void> done;

    private Publishing(RabbitEventBus bus, int events, boolean async) {
      done = OwnThread.runAsync(() -> run(bus, events, async));
    }

    /** Publishes {@code events} events with {@code publish}, waiting for each batch. */
    static Publishing start(RabbitEventBus bus, int events) {
      return new Publishing(bus, events, false);
    }

    /** Publishes {@code events} events with {@code publishAsync}. */
    static Publishing startAsync(RabbitEventBus bus, int events) {
      return new Publishing(bus, events, true);
    }

    private void run(RabbitEventBus bus, int events, boolean async) {
      long next = System.nanoTime();
      for (int sent = 0; sent < events; sent += BATCH) {
        List<VersionedEvent> batch = TestMessages.events(BATCH);
        long start = System.nanoTime();
        CompletableFuture<Void> call;
        try {
          call = async ? bus.publishAsync(batch) : publish(bus, batch);
        } catch (RuntimeException e) {
          call = CompletableFuture.failedFuture(e);
        }
        longestCall.accumulateAndGet(System.nanoTime() - start, Math::max);
        settled.add(
            call.whenComplete(
                (ok, failure) -> {
                  if (failure != null) {
                    failures.add(failure);
                  } else {
                    batch.forEach(event -> confirmed.add(event.id()));
                    lastConfirmedAt.set(System.nanoTime());
                  }
                }));
        next += BATCH_PACE_NANOS;
        LockSupport.parkNanos(next - System.nanoTime());
      }
    }

    private static CompletableFuture<Void> publish(RabbitEventBus bus, List<VersionedEvent> batch) {
      bus.publish(batch);
      return CompletableFuture.completedFuture(null);
    }

    List<String> confirmed() {
      return List.copyOf(confirmed);
    }

    long lastConfirmedAt() {
      return lastConfirmedAt.get();
    }

    long longestCallNanos() {
      return longestCall.get();
    }

    List<Throwable> failures() {
      return List.copyOf(failures);
    }

    /** Waits for the thread and for every call to settle, failed or not. */
    void awaitDone() {
      assertThat(done).succeedsWithin(DRAIN);
      for (CompletableFuture<Void> call : settled) {
        assertThat(call.handle((ok, failure) -> null)).as("a publication").succeedsWithin(DRAIN);
      }
    }
  }
}
