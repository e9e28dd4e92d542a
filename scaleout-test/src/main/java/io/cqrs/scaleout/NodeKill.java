package io.cqrs.scaleout;

import io.cqrs.example.bank.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The node-loss fault of a cluster run: SIGKILL of the node that holds the most of the run's
 * connections, then the time until the workers consume again through the other nodes, and later a
 * restart of the node, which rejoins the cluster on its data.
 *
 * <p>"Consuming again" is measured from the kill until both hold: every queue of the run has as
 * many consumers as before the kill (read over AMQP, every 100 ms), and every worker connection the
 * node held has logged its recovery on another node. The second condition keeps a poll that comes
 * before the cluster noticed the loss (the dead consumers still counted) from passing for a
 * recovery.
 */
final class NodeKill {
  /** How often a condition that asks the servers or a child process is checked while awaited. */
  private static final Duration POLL = Duration.ofMillis(100);

  /** A limit, not a wait: the run goes on as soon as the workers consume again. */
  static final Duration CONSUME_AGAIN_DEADLINE = Duration.ofSeconds(60);

  private static final String HARNESS = "-harness";

  private final BrokerCluster cluster;
  private final BrokerControl broker;
  private final Processes processes;
  private final String prefix;
  private final FaultLog record;
  private int node;
  private Map<Integer, Integer> before = Map.of();
  private List<String> lost = List.of();
  private int consumersBefore;
  private Duration consumingAgain;
  private Duration restartTook;
  private Map<Integer, Integer> afterRestart = Map.of();

  NodeKill(
      BrokerCluster cluster,
      BrokerControl broker,
      Processes processes,
      String prefix,
      FaultLog record) {
    this.cluster = cluster;
    this.broker = broker;
    this.processes = processes;
    this.prefix = prefix;
    this.record = record;
  }

  /** Kills the busiest node and waits (up to the deadline) until the workers consume again. */
  void kill(String at) {
    before = connectionsPerNode();
    node = busiest(before);
    String address = "127.0.0.1:" + cluster.port(node);
    Map<ChildProcess, List<String>> held = connectionsOn(address);
    lost = describe(held);
    List<String> queues = broker.queuesOf(prefix);
    Map<String, Integer> consumers = broker.consumers(queues);
    consumersBefore = consumers.values().stream().mapToInt(Integer::intValue).sum();
    Map<String, Integer> recoveriesBefore = recoveries(held);
    long killed = System.nanoTime();
    cluster.kill(node);
    record.injected(
        "SIGKILL node n" + node,
        String.format(
            "SIGKILL of RabbitMQ node n%d (%s, %s), which held %d of the run's %d connections"
                + " (%s), %d of them workers' consuming connections, %s",
            node,
            cluster.nodeName(node),
            address,
            before.get(node),
            before.values().stream().mapToInt(Integer::intValue).sum(),
            NodeLoss.perNode(before),
            consumeConnections(held).values().stream().mapToInt(List::size).sum(),
            at));
    boolean again;
    try {
      Await.await("the workers to consume again")
          .atMost(CONSUME_AGAIN_DEADLINE)
          .pollInterval(POLL)
          .until(
              () ->
                  consumersBack(queues, consumers)
                      && recovered(consumeConnections(held), recoveriesBefore));
      again = true;
    } catch (ConditionTimeoutException e) {
      again = false; // reported below, and judged by the run's evaluation
    }
    Duration took = Duration.ofNanos(System.nanoTime() - killed);
    consumingAgain = again ? took : null;
    record.injected(
        again ? "consuming again" : "NOT consuming again",
        again
            ? String.format(
                "workers consuming again %.1f s after the kill: the run's %d queues have their %d"
                    + " consumers, every lost consuming connection recovered on another node",
                took.toMillis() / 1000.0, queues.size(), consumersBefore)
            : "workers NOT consuming again within "
                + CONSUME_AGAIN_DEADLINE.toSeconds()
                + " s of the kill: consumers "
                + broker.consumers(queues)
                + ", before "
                + consumers);
  }

  /** Starts the killed node again and waits until it has rejoined. */
  void restart(String at) {
    record.injected("starting n" + node, "starting node n" + node + " again " + at);
    long start = System.nanoTime();
    cluster.restart(node);
    restartTook = Duration.ofNanos(System.nanoTime() - start);
    afterRestart = connectionsPerNode();
    record.injected(
        "n" + node + " rejoined",
        String.format(
            "node n%d rejoined the cluster, %.1f s after its start; the run's connections per node"
                + " now: %s",
            node, restartTook.toMillis() / 1000.0, NodeLoss.perNode(afterRestart)));
  }

  /** What the fault did; {@code null} if it has not been injected. */
  NodeLoss result() {
    if (node == 0) {
      return null;
    }
    return new NodeLoss(
        cluster.describe(),
        node,
        before,
        lost,
        consumersBefore,
        consumingAgain,
        CONSUME_AGAIN_DEADLINE,
        restartTook,
        afterRestart);
  }

  /** The run's connections (not the harness's) on each node, every node listed. */
  private Map<Integer, Integer> connectionsPerNode() {
    Map<Integer, Integer> perNode = new LinkedHashMap<>();
    cluster.nodes().forEach(n -> perNode.put(n, 0));
    broker
        .connectionsByPort(prefix)
        .forEach(
            (port, names) ->
                perNode.merge(
                    cluster.nodeOfPort(port),
                    (int) names.stream().filter(name -> !name.contains(HARNESS)).count(),
                    Integer::sum));
    perNode.remove(0);
    return perNode;
  }

  /** The node with the most connections; the lowest number among equals. */
  static int busiest(Map<Integer, Integer> connectionsPerNode) {
    return connectionsPerNode.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .max(Map.Entry.comparingByValue())
        .orElseThrow(() -> new IllegalStateException("no node holds a connection of the run"))
        .getKey();
  }

  /** The connections each running process has on {@code address}, by its log. */
  private Map<ChildProcess, List<String>> connectionsOn(String address) {
    Map<ChildProcess, List<String>> held = new LinkedHashMap<>();
    for (ChildProcess process : processes.all()) {
      if (!process.isAlive()) {
        continue;
      }
      List<String> names = new ArrayList<>();
      log(process)
          .currentNodes()
          .forEach(
              (name, at) -> {
                if (at.equals(address)) {
                  names.add(name);
                }
              });
      if (!names.isEmpty()) {
        held.put(process, names);
      }
    }
    return held;
  }

  /** The workers' consuming connections among {@code held}. */
  private static Map<ChildProcess, List<String>> consumeConnections(
      Map<ChildProcess, List<String>> held) {
    Map<ChildProcess, List<String>> consuming = new LinkedHashMap<>();
    held.forEach(
        (process, names) -> {
          List<String> consume = names.stream().filter(n -> n.endsWith("/consume")).toList();
          if (process.name().startsWith("worker-") && !consume.isEmpty()) {
            consuming.put(process, consume);
          }
        });
    return consuming;
  }

  private static Map<String, Integer> recoveries(Map<ChildProcess, List<String>> held) {
    Map<String, Integer> counts = new HashMap<>();
    held.forEach(
        (process, names) -> {
          ConnectionLog log = log(process);
          names.forEach(n -> counts.put(process.name() + " " + n, log.recoveries(n).size()));
        });
    return counts;
  }

  /** Whether every connection in {@code held} logged a recovery since {@code before} was taken. */
  private static boolean recovered(
      Map<ChildProcess, List<String>> held, Map<String, Integer> before) {
    for (Map.Entry<ChildProcess, List<String>> entry : held.entrySet()) {
      ConnectionLog log = log(entry.getKey());
      for (String name : entry.getValue()) {
        if (log.recoveries(name).size()
            <= before.getOrDefault(entry.getKey().name() + " " + name, 0)) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean consumersBack(List<String> queues, Map<String, Integer> before) {
    Map<String, Integer> now = broker.consumers(queues);
    return before.entrySet().stream()
        .allMatch(e -> now.getOrDefault(e.getKey(), -1) >= e.getValue());
  }

  private static List<String> describe(Map<ChildProcess, List<String>> held) {
    List<String> lines = new ArrayList<>();
    held.forEach((process, names) -> names.forEach(n -> lines.add(process.name() + " " + n)));
    return lines;
  }

  private static ConnectionLog log(ChildProcess process) {
    try {
      return ConnectionLog.read(process.log());
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read " + process.log(), e);
    }
  }
}
