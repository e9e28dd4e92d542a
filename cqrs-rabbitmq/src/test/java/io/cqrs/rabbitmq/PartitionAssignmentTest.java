package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How listeners share a subscription's queues. */
class PartitionAssignmentTest {
  private final Declaration exchange =
      Declaration.exchange("p.events", com.rabbitmq.client.BuiltinExchangeType.TOPIC);

  @Test
  void every_listener_of_a_plain_subscription_consumes_its_one_queue() {
    SubscriptionTopology plain =
        SubscriptionTopology.workQueue(
            "s",
            "p.events.s",
            exchange,
            List.of("#"),
            List.of(Duration.ofSeconds(1)),
            QueueType.CLASSIC,
            "p.failures");

    assertThat(BusCore.assign(plain, 3))
        .containsExactly(List.of("p.events.s"), List.of("p.events.s"), List.of("p.events.s"));
  }

  @Test
  void each_partition_of_an_ordered_subscription_goes_to_exactly_one_listener() {
    SubscriptionTopology ordered =
        SubscriptionTopology.partitioned(
            "s", "p.events.s", exchange, 8, QueueType.CLASSIC, "p.failures");

    List<List<String>> three = BusCore.assign(ordered, 3);
    List<List<String>> many = BusCore.assign(ordered, 20);

    assertThat(three).hasSize(3);
    assertThat(three.stream().flatMap(List::stream))
        .containsExactlyInAnyOrderElementsOf(ordered.consumeQueues());
    assertThat(three).allSatisfy(queues -> assertThat(queues).hasSizeBetween(2, 3));
    assertThat(many).as("no more listeners than partitions").hasSize(8);
    assertThat(many).allSatisfy(queues -> assertThat(queues).hasSize(1));
  }

  @Test
  void an_ordered_subscription_declares_single_active_consumer_partitions_behind_a_hash_exchange() {
    SubscriptionTopology ordered =
        SubscriptionTopology.partitioned(
            "s", "p.events.s", exchange, 2, QueueType.CLASSIC, "p.failures");

    assertThat(ordered.consumeQueues()).containsExactly("p.events.s.p0", "p.events.s.p1");
    assertThat(ordered.retryQueues()).isEmpty();
    assertThat(ordered.replayExchange()).isEqualTo("p.events.s.hash");
    assertThat(ordered.declarations())
        .extracting(Declaration::key)
        .containsExactly(
            "exchange p.events",
            "exchange p.failures",
            "queue p.events.s.dlq",
            "binding p.failures -> queue p.events.s.dlq [p.events.s.dlq]",
            "exchange p.events.s.hash",
            "binding p.events -> exchange p.events.s.hash [#]",
            "queue p.events.s.p0",
            "binding p.events.s.hash -> queue p.events.s.p0 [10]",
            "queue p.events.s.p1",
            "binding p.events.s.hash -> queue p.events.s.p1 [10]");
  }

  @Test
  void a_plain_subscription_binds_its_dead_letter_retry_and_own_queue_to_the_failure_exchange() {
    SubscriptionTopology plain =
        SubscriptionTopology.workQueue(
            "s",
            "p.events.s",
            exchange,
            List.of("#"),
            List.of(Duration.ofSeconds(1)),
            QueueType.CLASSIC,
            "p.failures");

    assertThat(plain.failureExchange()).isEqualTo("p.failures");
    assertThat(plain.replayExchange()).isEqualTo("p.failures");
    assertThat(plain.replayRoutingKey()).isEqualTo("p.events.s");
    assertThat(plain.declarations())
        .extracting(Declaration::key)
        .containsExactly(
            "exchange p.events",
            "exchange p.failures",
            "queue p.events.s.dlq",
            "binding p.failures -> queue p.events.s.dlq [p.events.s.dlq]",
            "queue p.events.s.retry-1000ms",
            "binding p.failures -> queue p.events.s.retry-1000ms [p.events.s.retry-1000ms]",
            "queue p.events.s",
            "binding p.failures -> queue p.events.s [p.events.s]",
            "binding p.events -> queue p.events.s [#]");
  }

  @Test
  void without_declaring_a_bus_checks_each_exchange_and_queue_and_leaves_bindings_out() {
    SubscriptionTopology plain =
        SubscriptionTopology.workQueue(
            "s",
            "p.events.s",
            exchange,
            List.of("#"),
            List.of(Duration.ofSeconds(1)),
            QueueType.CLASSIC,
            "p.failures");

    List<Declaration> checks = Declaration.checks(plain.declarations());

    assertThat(checks).allSatisfy(check -> assertThat(check.check()).isTrue());
    assertThat(checks)
        .extracting(Declaration::key)
        .containsExactly(
            "exchange p.events",
            "exchange p.failures",
            "queue p.events.s.dlq",
            "queue p.events.s.retry-1000ms",
            "queue p.events.s");
  }
}
