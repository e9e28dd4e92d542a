package io.cqrs.scaleout;

import io.cqrs.rabbitmq.RabbitCluster;

/** cqrs-rabbitmq's {@link RabbitCluster} (its test jar) as the harness's {@link BrokerCluster}. */
record RabbitClusterNodes(RabbitCluster cluster) implements BrokerCluster {
  @Override
  public int size() {
    return cluster.size();
  }

  @Override
  public int port(int node) {
    return cluster.port(node);
  }

  @Override
  public String nodeName(int node) {
    return cluster.nodeName(node);
  }

  @Override
  public boolean isRunning(int node) {
    return cluster.isRunning(node);
  }

  @Override
  public void kill(int node) {
    cluster.kill(node);
  }

  @Override
  public void restart(int node) {
    cluster.restart(node);
  }

  @Override
  public String rabbitmqctl(int node, String... arguments) {
    return cluster.rabbitmqctl(node, arguments);
  }
}
