package io.cqrs.scaleout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the node-loss fault of a cluster run did and saw.
 *
 * @param cluster the cluster, as {@link BrokerCluster#describe()} says
 * @param node the killed node's number
 * @param connectionsPerNode the run's connections (workers' and publishers', not the harness's) on
 *     each node just before the kill, by {@code rabbitmqctl list_connections}; every node listed
 * @param lostConnections the connections the killed node held, each with its process, from the
 *     processes' logs
 * @param consumersBefore the consumers on the run's queues just before the kill
 * @param consumingAgain from the kill until every queue of the run had as many consumers again and
 *     every worker connection lost with the node had recovered on another node, or {@code null} if
 *     that did not happen within {@code deadline}
 * @param deadline how long the workers were given to consume again
 * @param restartTook how long the node took to start again and rejoin, or {@code null} if it was
 *     not restarted
 * @param connectionsPerNodeAfterRestart the run's connections on each node once the node was back
 *     (they stay where they recovered), or empty
 */
public record NodeLoss(
    String cluster,
    int node,
    Map<Integer, Integer> connectionsPerNode,
    List<String> lostConnections,
    int consumersBefore,
    Duration consumingAgain,
    Duration deadline,
    Duration restartTook,
    Map<Integer, Integer> connectionsPerNodeAfterRestart) {

  public NodeLoss {
    connectionsPerNode = Map.copyOf(connectionsPerNode);
    lostConnections = List.copyOf(lostConnections);
    connectionsPerNodeAfterRestart = Map.copyOf(connectionsPerNodeAfterRestart);
  }

  /** How many nodes held at least one of the run's connections before the kill. */
  public long nodesWithConnections() {
    return connectionsPerNode.values().stream().filter(count -> count > 0).count();
  }

  /** Whether the workers consumed again within the deadline. */
  public boolean consumedAgainInTime() {
    return consumingAgain != null && consumingAgain.compareTo(deadline) <= 0;
  }

  /** {@code n1 4, n2 6, n3 5}: connections per node, in node order. */
  static String perNode(Map<Integer, Integer> connections) {
    return connections.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> "n" + e.getKey() + " " + e.getValue())
        .reduce((a, b) -> a + ", " + b)
        .orElse("none");
  }
}
