package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The command line's scenario and rebuild against Couchbase and RabbitMQ, in this JVM. */
class DistributedScenarioIT {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /**
   * The running test's corner of the broker, its prefix also the Couchbase key prefix. The
   * scenario's buses declare their queues inside the application, out of the test's sight, so
   * everything under the prefix is deleted after the test, passed or failed.
   */
  private RabbitNamespace rabbit;

  @AfterEach
  void deleteWhatTheTestDeclared() {
    if (rabbit != null) {
      rabbit.deleteEverythingWithPrefix();
    }
  }

  private int run(Map<String, String> environment, String... args) {
    return BankApplication.run(
        args,
        environment,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        new CountDownLatch(1));
  }

  @Test
  void the_scenario_runs_on_couchbase_and_rabbitmq_and_a_rebuild_gives_the_same_read_models() {
    Map<String, String> servers = BankServers.environment();
    rabbit = RabbitTestBroker.get().newNamespace("scenario");
    String prefix = rabbit.prefix();

    int scenario = run(servers, "--store", "couchbase", "--bus", "rabbitmq", "--prefix", prefix);
    String report = out.toString(StandardCharsets.UTF_8);
    int rebuild = run(servers, "rebuild", "--store", "couchbase", "--prefix", prefix);
    String rebuilt = out.toString(StandardCharsets.UTF_8).substring(report.length());

    assertThat(scenario).as(report + err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(report)
        .contains("events in Couchbase", "buses on RabbitMQ", "prefix " + prefix)
        .contains("Accounts read model", "Transfers read model", "COMPLETED", "FAILED")
        .contains("Read model in sync with write model: yes")
        .contains("Rebuilt read models equal to the live ones: yes")
        .doesNotContain(servers.get("CQRS_COUCHBASE_PASSWORD"));
    assertThat(rebuild).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(rebuilt)
        .contains("Rebuilding the read models as generation 'g")
        .contains("3 accounts, 3 users, 2 transfers")
        .contains("Rebuilt read models equal to the live ones: switched from generation '' to 'g");
  }
}
