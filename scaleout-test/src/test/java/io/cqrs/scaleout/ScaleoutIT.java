package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.couchbase.testing.CouchbaseTestServer;
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
 * with 1, 2 and 4 workers.
 */
class ScaleoutIT {
  private static final Path TARGET = Path.of("target");
  private static final int THROUGHPUT_COMMANDS_EACH = 500;

  @Test
  void many_workers_and_publishers_keep_every_invariant_through_faults() throws Exception {
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
        true,
        true,
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
        true,
        true,
        true,
        true,
        3,
        // The first soak here (load average 10 to 26) needed 300 s for 6000 commands.
        Duration.ofSeconds(420),
        11L);
  }

  private static Servers servers() {
    RabbitTestBroker broker = RabbitTestBroker.get();
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
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
    return new Servers(
        couchbase.connectionString(),
        couchbase.username(),
        couchbase.password(),
        couchbase.bucketName(),
        uri,
        couchbase.description(),
        broker.describe(),
        broker.connectionFactory());
  }
}
