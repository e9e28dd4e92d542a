package io.cqrs.scaleout;

import java.util.List;
import java.util.stream.IntStream;

/**
 * A RabbitMQ cluster of the run's own on this machine, whose nodes the harness may crash and
 * restart: in the tests, cqrs-rabbitmq's {@code RabbitCluster} (from its test jar, which this
 * module's main code does not see). Nodes are numbered from 1; every node listens on {@code
 * 127.0.0.1} with its own AMQP port, and {@code guest/guest} is allowed.
 */
public interface BrokerCluster {
  /** How many nodes the cluster has. */
  int size();

  /** The AMQP port of node {@code node}. */
  int port(int node);

  /** The Erlang node name of node {@code node}, for the report. */
  String nodeName(int node);

  /** Whether the node runs (neither killed nor frozen). */
  boolean isRunning(int node);

  /** SIGKILL of the node's {@code beam.smp}; returns once its AMQP port refuses connections. */
  void kill(int node);

  /** Starts a killed node again on its data; returns once it has rejoined the cluster. */
  void restart(int node);

  /** Runs {@code rabbitmqctl} against the node and returns its standard output. */
  String rabbitmqctl(int node, String... arguments);

  /** One {@code amqp://} URI per node, in node order. */
  default List<String> uris() {
    return nodes().stream().map(n -> "amqp://guest:guest@127.0.0.1:" + port(n) + "/%2f").toList();
  }

  /** The node numbers, 1 to {@link #size()}. */
  default List<Integer> nodes() {
    return IntStream.rangeClosed(1, size()).boxed().toList();
  }

  /** The node listening on AMQP port {@code port}, or 0 if none does. */
  default int nodeOfPort(int port) {
    return nodes().stream().filter(n -> port(n) == port).findFirst().orElse(0);
  }

  /** The first node that runs, to ask the cluster through. */
  default int anyRunningNode() {
    return nodes().stream()
        .filter(this::isRunning)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no node of the cluster runs"));
  }

  /** One line for the report: how many nodes, their names and ports. */
  default String describe() {
    StringBuilder text = new StringBuilder(size() + "-node RabbitMQ cluster (");
    for (int n : nodes()) {
      text.append(n == 1 ? "" : ", ").append("n").append(n).append(" ").append(nodeName(n));
      text.append(" on 127.0.0.1:").append(port(n));
    }
    return text.append(")").toString();
  }
}
