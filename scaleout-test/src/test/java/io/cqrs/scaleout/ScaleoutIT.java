package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.rabbitmq.QueueType;
import io.cqrs.rabbitmq.RabbitCluster;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.scaleout.Outcomes.Outcome;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The scale-out test: worker and publisher processes on a shared Couchbase and RabbitMQ, with
 * faults injected while commands flow, and every invariant checked afterwards. The default size
 * fits the README's {@code ./mvnw -B verify} (a worker SIGKILLed and replaced, the run's broker
 * connections force-closed), followed by a short throughput run with 1 worker (no fault, no rate
 * limit); {@code -Pscaleout-soak} runs a bigger one that adds a slow consumer and {@code stop_app}
 * / {@code start_app} on a private RabbitMQ node, then the throughput runs with 1, 2 and 4 workers;
 * {@code -Pscaleout-throughput} runs those three only. {@code -Pscaleout-cluster} runs the cluster
 * run instead: a private three-node RabbitMQ cluster, quorum queues, and the node holding the most
 * of the run's connections killed and restarted while commands flow. Every run's charts over time
 * are checked against their tables; no speed is asserted.
 */
class ScaleoutIT {
  private static final Path TARGET = Path.of("target");

  /** Commands per publisher of each throughput run of the soak and throughput profiles. */
  private static final int THROUGHPUT_COMMANDS_EACH = 500;

  /** Commands per publisher of the default run's 1-worker throughput run: well under 2 minutes. */
  private static final int CI_THROUGHPUT_COMMANDS_EACH = 200;

  /**
   * Commands the harness sends and sees settled before each throughput run's clock starts, unless
   * {@code -Dscaleout.warmup=N} says otherwise (0 measures the workers' cold start too): about the
   * number a cold worker here needs before it handles commands at its steady pace.
   */
  private static final int WARMUP_COMMANDS = Integer.getInteger("scaleout.warmup", 600);

  private static final boolean CLUSTER = Boolean.getBoolean("scaleout.cluster");

  @Test
  void many_workers_and_publishers_keep_every_invariant_through_faults() throws Exception {
    assumeFalse(CLUSTER, "-Pscaleout-cluster runs the cluster run instead");
    boolean soak = Boolean.getBoolean("scaleout.soak");
    boolean throughputOnly = Boolean.getBoolean("scaleout.throughput");
    Servers servers = servers();
    RunConfig config = soak ? soak() : standard();
    RunResult run =
        throughputOnly
            ? null
            : new ScaleoutRun(config, servers, TARGET.resolve("scaleout"), System.out).run();
    List<RunResult> throughput = new ArrayList<>();
    boolean all = soak || throughputOnly;
    for (int workers : all ? throughputWorkers() : List.of(1)) {
      throughput.add(
          new ScaleoutRun(
                  config.throughputRun(
                      workers,
                      all ? THROUGHPUT_COMMANDS_EACH : CI_THROUGHPUT_COMMANDS_EACH,
                      WARMUP_COMMANDS),
                  servers,
                  TARGET.resolve("scaleout"),
                  System.out)
              .run());
    }
    String report = Report.markdown(run, throughput, servers.toString());
    Path file = TARGET.resolve("scaleout-report.md");
    Report.write(file, report);
    Report.writeCharts(file, run, throughput);
    Report.writeThroughput(TARGET.resolve("scaleout-throughput.json"), throughput);
    System.out.println(report);
    if (run != null) {
      assertThat(run.passed()).as(Report.failures(run)).isTrue();
      assertChartsShowTheTables(file, report, run);
    }
    for (RunResult r : throughput) {
      assertThat(r.passed()).as(Report.failures(r)).isTrue();
      assertChartsShowTheTables(file, report, r);
      // The warm-up ran and settled before the clock, and the figure counts the publishers' only.
      assertThat(r.warmupCommands()).isEqualTo(r.config().warmupCommands());
      assertThat(r.warmup().isZero()).isEqualTo(r.config().warmupCommands() == 0);
      assertThat(r.measured())
          .as("measured: the publishers' commands, every one with an outcome")
          .isEqualTo((long) r.config().publishers() * r.config().commandsPerPublisher());
    }
    assertThroughputFile(throughput);
    assertNothingLeftOnTheBroker(servers, throughput, run);
  }

  /**
   * The worker counts of the throughput runs: 1, 2 and 4, or those of {@code
   * -Dscaleout.throughput.workers=1,2}.
   */
  private static List<Integer> throughputWorkers() {
    return Arrays.stream(System.getProperty("scaleout.throughput.workers", "1,2,4").split(","))
        .map(String::strip)
        .map(Integer::valueOf)
        .toList();
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
    Path file = TARGET.resolve("scaleout-report.md");
    Report.write(file, report);
    Report.writeCharts(file, run, List.of());
    System.out.println(report);
    assertThat(run.passed()).as(Report.failures(run)).isTrue();
    assertChartsShowTheTables(file, report, run);
    assertThat(run.nodeLoss()).as("the node-loss fault happened").isNotNull();
    assertThat(run.nodeLoss().restartTook()).as("the killed node was restarted").isNotNull();
    for (int node = 1; node <= cluster.size(); node++) {
      assertThat(cluster.isRunning(node))
          .as("node %d after the cluster was closed", node)
          .isFalse();
    }
  }

  /**
   * The run's charts are images beside the report, linked from it, and show its table: the CSV
   * beside them reads back as the timeline both were drawn from, which dates every command with an
   * outcome but the harness's openings.
   */
  private static void assertChartsShowTheTables(Path file, String report, RunResult run)
      throws IOException {
    Path charts = file.resolveSibling(Report.CHARTS);
    TimelineCharts.ChartFiles files = TimelineCharts.ChartFiles.of(Report.name(run));
    for (String png : List.of(files.throughput(), files.latency())) {
      BufferedImage image = ImageIO.read(charts.resolve(png).toFile());
      assertThat(image).as(png).isNotNull();
      assertThat(image.getWidth()).as(png).isEqualTo(TimelineCharts.WIDTH);
      assertThat(image.getHeight()).as(png).isEqualTo(TimelineCharts.HEIGHT);
      assertThat(report).contains("(" + Report.CHARTS + "/" + png + ")");
    }
    assertThat(Timeline.parseCsv(Files.readString(charts.resolve(files.table()))))
        .isEqualTo(run.timeline().seconds());
    long decided =
        run.outcomes().getOrDefault(Outcome.ACCEPTED, 0L)
            + run.outcomes().getOrDefault(Outcome.REJECTED, 0L);
    assertThat(run.timeline().completed())
        .as("commands dated on the timeline: all but the openings and the warm-up")
        .isEqualTo(decided - run.config().hotAccounts() - run.warmupCommands())
        .isEqualTo(run.measured());
  }

  /** The throughput file names each run's workers and commands/s, as the report does. */
  private static void assertThroughputFile(List<RunResult> throughput) throws IOException {
    JsonNode rows =
        new ObjectMapper().readTree(TARGET.resolve("scaleout-throughput.json").toFile());
    assertThat(rows.size()).isEqualTo(throughput.size());
    for (int i = 0; i < throughput.size(); i++) {
      assertThat(rows.get(i).get("workers").asInt())
          .isEqualTo(throughput.get(i).config().workers());
      assertThat(rows.get(i).get("commandsPerSecond").asDouble())
          .isCloseTo(throughput.get(i).commandsPerSecond(), within(0.05));
      assertThat(rows.get(i).get("measuredCommands").asLong())
          .isEqualTo(throughput.get(i).measured());
      assertThat(rows.get(i).get("warmupCommands").asLong())
          .isEqualTo(throughput.get(i).config().warmupCommands());
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
      if (run != null) {
        runs.add(run);
      }
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
        0,
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
        0,
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
        0,
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
