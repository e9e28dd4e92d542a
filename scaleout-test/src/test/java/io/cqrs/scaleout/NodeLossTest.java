package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeLossTest {

  @Test
  void the_node_holding_the_most_connections_is_the_one_killed_the_lowest_among_equals() {
    assertThat(NodeKill.busiest(Map.of(1, 4, 2, 6, 3, 5))).isEqualTo(2);
    assertThat(NodeKill.busiest(Map.of(1, 5, 2, 3, 3, 5))).isEqualTo(1);
    assertThat(NodeKill.busiest(Map.of(1, 0, 2, 0, 3, 7))).isEqualTo(3);
  }

  @Test
  void connections_on_one_node_only_are_not_spread_and_a_late_recovery_is_not_in_time() {
    NodeLoss oneNode = loss(Map.of(1, 0, 2, 15, 3, 0), Duration.ofSeconds(61));
    NodeLoss spread = loss(Map.of(1, 4, 2, 6, 3, 5), Duration.ofSeconds(3));

    assertThat(oneNode.nodesWithConnections()).isEqualTo(1);
    assertThat(oneNode.consumedAgainInTime()).isFalse();
    assertThat(loss(Map.of(1, 4), null).consumedAgainInTime()).isFalse();
    assertThat(spread.nodesWithConnections()).isEqualTo(3);
    assertThat(spread.consumedAgainInTime()).isTrue();
    assertThat(NodeLoss.perNode(spread.connectionsPerNode())).isEqualTo("n1 4, n2 6, n3 5");
  }

  private static NodeLoss loss(Map<Integer, Integer> perNode, Duration consumingAgain) {
    return new NodeLoss(
        "3-node RabbitMQ cluster",
        2,
        perNode,
        List.of("worker-1 so1-commands/consume"),
        12,
        consumingAgain,
        Duration.ofSeconds(60),
        Duration.ofSeconds(9),
        Map.of());
  }
}
