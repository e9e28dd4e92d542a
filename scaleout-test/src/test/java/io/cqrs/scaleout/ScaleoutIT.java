package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.rabbitmq.QueueType;
import io.cqrs.rabbitmq.RabbitCluster;
import io.cqrs.rabbitmq.RabbitTestBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scale-out test: worker and publisher processes on a shared Couchbase and RabbitMQ, with
 * faults injected while commands flow, and every invariant checked afterwards. The default size
 * fits the README's {@code ./mvnw -B verify} (a worker SIGKILLed and replaced, the run's broker
 * connections force-closed); {@code -Pscaleout-soak} runs a bigger one that adds a slow consumer
 * and {@code stop_app} / {@code start_app} on a private RabbitMQ node, then the throughput runs
 * with 1, 2 and 4 workers. {@code -Pscaleout-cluster} runs the cluster run instead: a private
 * three-node RabbitMQ cluster, quorum queues, and the node holding the most of the run's
 * connections killed and restarted while commands flow.
 */
class ScaleoutIT {
  private static final Path TARGET = Path.of("target");
  private static final int THROUGHPUT_COMMANDS_EACH = 500;
  private static final boolean CLUSTER = Boolean.getBoolean("scaleout.cluster");

  @Test
  void many_workers_and_publishers_keep_every_invariant_through_faults() throws Exception {
    assumeFalse(CLUSTER, "-Pscaleout-cluster runs the cluster run instead");
    boolean soak = Boolean.getBoolean("scaleout.soak");
    Servers servers = servers();
    RunConfig config = soak ? soak() : standard();
    RunResult run = new ScaleoutRun(config, servers, TARGET.resolve("scaleout"), System.out).run();
    List<RunResult> throughput = new ArrayList<>();
    if (soak) {
      for (int workers : List.of(1, 2, 4)) {
        throughput.add(
            new ScaleoutRun(
                    config.throughputRun(workers, THROUGHPUT_COMMANDS_EACH),
                    servers,
                    TARGET.resolve("scaleout"),
                    System.out)
                .run());
      }
    }
    String report = Report.markdown(run, throughput, servers.toString());
    Report.write(TARGET.resolve("scaleout-report.md"), report);
    System.out.println(report);
    assertThat(run.passed()).as(Report.failures(run)).isTrue();
    throughput.forEach(r -> assertThat(r.passed()).as(Report.failures(r)).isTrue());
    assertNothingLeftOnTheBroker(servers, throughput, run);
  }

  @Test
  void workers_and_publishers_spread_over_a_cluster_keep_every_invariant_when_a_node_dies()
      throws Exception {
    assumeTrue(CLUSTER, "the cluster run is opt-in: -Pscaleout-cluster");
    long start = System.nanoTime();
    RabbitCluster cluster = RabbitCluster.start(3);
    RunResult run;
    Servers servers;
    try (cluster) {
      servers = couchbaseWith(cluster);
      System.out.printf(
          "[scaleout] started a 3-node RabbitMQ cluster in %.1f s%n",
          (System.nanoTime() - start) / 1e9);
      run =
          new ScaleoutRun(
                  clusterRun(),
                  servers,
                  new RabbitClusterNodes(cluster),
                  TARGET.resolve("scaleout"),
                  System.out)
              .run();
    }
    String report =
        Report.markdown(run, List.of(), servers.couchbaseDescription() + "; " + run.broker())
            + String.format(
                "%nWall time, cluster start to cluster stop: %.1f s%n",
                (System.nanoTime() - start) / 1e9);
    Report.write(TARGET.resolve("scaleout-report.md"), report);
    System.out.println(report);
    assertThat(run.passed()).as(Report.failures(run)).isTrue();
    assertThat(run.nodeLoss()).as("the node-loss fault happened").isNotNull();
    assertThat(run.nodeLoss().restartTook()).as("the killed node was restarted").isNotNull();
    for (int node = 1; node <= cluster.size(); node++) {
      assertThat(cluster.isRunning(node))
          .as("node %d after the cluster was closed", node)
          .isFalse();
    }
  }

  /** A passing run deletes what its processes declared on a broker that outlives it. */
  private static void assertNothingLeftOnTheBroker(
      Servers servers, List<RunResult> throughput, RunResult run) {
    try (BrokerControl broker = BrokerControl.shared(servers.rabbitFactory())) {
      if (!broker.hasCtl()) {
        return; // the runs could not delete anything either, and said so
      }
      // A run on a private node left nothing here either: its names never reached this broker.
      List<RunResult> runs = new ArrayList<>(throughput);
      runs.add(run);
      for (RunResult r : runs) {
        assertThat(broker.queuesOf(r.prefix())).as("queues left by " + r.prefix()).isEmpty();
      }
    }
  }

  private static RunConfig standard() {
    return new RunConfig(
        "default: 2 workers, 2 publishers, SIGKILL + connection close",
        2,
        2,
        1_000,
        8,
        // 2 x 15 commands/s: the publishers send for about 70 s, so the faults (at 25 % and 50 %
        // sent) come while commands flow.
        15,
        // 10 % of the commands published twice, half right after the original, half later.
        10,
        QueueType.CLASSIC,
        true,
        true,
        false,
        false,
        false,
        2,
        // The backlog left when the publishers finish takes under a minute on a quiet machine and
        // up to two with other builds sharing the cores (load average 10 or more); this is the
        // limit, not a wait: the run goes on as soon as it has settled.
        Duration.ofSeconds(180),
        7L);
  }

  private static RunConfig soak() {
    return new RunConfig(
        "soak: 3 workers + slow consumer, 3 publishers, every fault",
        3,
        3,
        1_500,
        8,
        // 3 x 10 commands/s: about 150 s of sending, with faults at 25, 50 and 75 % of it.
        10,
        10,
        QueueType.CLASSIC,
        true,
        true,
        true,
        true,
        false,
        3,
        // The first soak here (load average 10 to 26) needed 300 s for 6000 commands.
        Duration.ofSeconds(420),
        11L);
  }

  private static RunConfig clusterRun() {
    return new RunConfig(
        "cluster: 3 workers, 3 publishers on a 3-node RabbitMQ cluster, quorum queues, a node"
            + " killed and restarted",
        3,
        3,
        400,
        8,
        // 3 x 8 publications/s: about 55 s of sending, the node killed at a third of it and
        // restarted at two thirds.
        8,
        10,
        QueueType.QUORUM,
        false,
        false,
        false,
        false,
        true,
        2,
        Duration.ofSeconds(240),
        13L);
  }

  /** The shared Couchbase, and node 1 of the cluster until the run gives every node. */
  private static Servers couchbaseWith(RabbitCluster cluster) {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(cluster.port(1));
    return couchbase(cluster.amqpUri(1), "node 1 of the run's cluster", factory);
  }

  private static Servers servers() {
    RabbitTestBroker broker = RabbitTestBroker.get();
    String uri = System.getenv(RabbitTestBroker.URI_VARIABLE);
    if (uri == null) {
      var f = broker.connectionFactory();
      uri =
          "amqp://"
              + f.getUsername()
              + ":"
              + f.getPassword()
              + "@"
              + f.getHost()
              + ":"
              + f.getPort()
              + "/%2f";
    }
    return couchbase(uri, broker.describe(), broker.connectionFactory());
  }

  private static Servers couchbase(
      String rabbitUri, String rabbitDescription, ConnectionFactory rabbitFactory) {
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
    return new Servers(
        couchbase.connectionString(),
        couchbase.username(),
        couchbase.password(),
        couchbase.bucketName(),
        rabbitUri,
        couchbase.description(),
        rabbitDescription,
        rabbitFactory);
  }
}
