package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.rabbitmq.QueueType;
import io.cqrs.testing.OwnThread;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The command line, run in this JVM. */
class BankApplicationTest {
  private static final Map<String, String> NO_ENVIRONMENT = Map.of();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> environment, String... args) {
    return BankApplication.run(
        args,
        environment,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        new CountDownLatch(1));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void help_lists_every_command_and_the_server_options() {
    assertThat(run(NO_ENVIRONMENT, "--help")).isZero();

    assertThat(out()).contains("serve").contains("worker").contains("rebuild").contains("demo");
    out.reset();
    assertThat(run(NO_ENVIRONMENT, "serve", "--help")).isZero();
    assertThat(out())
        .contains("--port")
        .contains("--store=<store>")
        .contains("memory, couchbase")
        .contains("--bus=<bus>")
        .contains("memory, rabbitmq")
        .contains("CQRS_COUCHBASE_CONNECTION")
        .contains("CQRS_RABBITMQ_URI")
        .contains("--rabbitmq-queue-type=<rabbitmqQueueType>")
        .contains("classic, quorum")
        .contains("CQRS_RABBITMQ_QUEUE_TYPE");
  }

  @Test
  void without_arguments_it_runs_the_scenario_in_memory() {
    assertThat(run(NO_ENVIRONMENT)).isZero();

    assertThat(out())
        .contains("events in memory, buses in memory")
        .contains("Read model in sync with write model: yes");
  }

  @Test
  void unknown_commands_options_and_bad_values_are_usage_errors() {
    assertThat(run(NO_ENVIRONMENT, "deploy")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--colour")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "serve", "--port", "http")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "serve", "--port")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--store", "postgres")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--port", "8080")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "serve", "--metrics-port", "9090")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--host", "0.0.0.0")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "worker", "--metrics-port", "65536")).isEqualTo(2);

    assertThat(err())
        .contains("Unknown command 'deploy'")
        .contains("Unknown option: '--colour'")
        .contains("--port': must be a number from 0 to 65535, was 'http'")
        .contains("Missing required parameter for option '--port'")
        .contains("--store': expected one of memory, couchbase, was 'postgres'")
        .contains("Unknown options: '--port', '8080'")
        .contains("Unknown options: '--metrics-port', '9090'")
        .contains("Unknown options: '--host', '0.0.0.0'")
        .contains("--metrics-port': must be a number from 0 to 65535, was '65536'")
        .contains("--help' for usage.");
  }

  /**
   * The API's users are checked before anything connects, as a usage error: an adversary's bad
   * entry under RabbitMQ was found only after the exchanges were declared, and exited 1 with a
   * stack trace. The broker here is one that does not exist, so reaching it would fail otherwise.
   */
  @Test
  void bad_api_users_are_a_usage_error_before_anything_connects() {
    Map<String, String> environment =
        Map.of(
            "BANK_API_USERS", "not an entry",
            "CQRS_RABBITMQ_URI", "amqp://u:p@127.0.0.1:1/%2f");

    int status = run(environment, "serve", "--bus", "rabbitmq", "--port", "0");

    assertThat(status).as(err()).isEqualTo(2);
    assertThat(err())
        .contains("example-bank: BANK_API_USERS")
        .contains("Run 'example-bank serve --help' for usage.")
        .doesNotContain("\tat ");
  }

  @Test
  void couchbase_and_rabbitmq_need_their_connection_settings() {
    assertThat(run(NO_ENVIRONMENT, "--store", "couchbase")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--bus=rabbitmq")).isEqualTo(2);

    assertThat(err())
        .contains("--store couchbase needs --couchbase-connection or CQRS_COUCHBASE_CONNECTION")
        .contains("--bus rabbitmq needs --rabbitmq-uri or CQRS_RABBITMQ_URI");
  }

  @Test
  void the_queue_type_is_classic_unless_the_flag_or_the_environment_says_quorum() {
    Map<String, String> quorum = Map.of(InfrastructureOptions.QUEUE_TYPE_VARIABLE, "quorum");

    assertThat(queueType(NO_ENVIRONMENT)).isEqualTo(QueueType.CLASSIC);
    assertThat(queueType(NO_ENVIRONMENT, "--rabbitmq-queue-type", "quorum"))
        .isEqualTo(QueueType.QUORUM);
    assertThat(queueType(NO_ENVIRONMENT, "--rabbitmq-queue-type=QUORUM"))
        .isEqualTo(QueueType.QUORUM);
    assertThat(queueType(quorum)).isEqualTo(QueueType.QUORUM);
    assertThat(queueType(quorum, "--rabbitmq-queue-type", "classic"))
        .as("a flag wins over its variable")
        .isEqualTo(QueueType.CLASSIC);
    assertThat(
            InfrastructureOptions.fromEnvironment(
                    InfrastructureOptions.Store.COUCHBASE,
                    InfrastructureOptions.Bus.RABBITMQ,
                    "bank",
                    quorum)
                .rabbitmqQueueType())
        .as("what DistributedBank and a worker's child processes read")
        .isEqualTo(QueueType.QUORUM);
  }

  private static QueueType queueType(Map<String, String> environment, String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "worker",
                "--store",
                "couchbase",
                "--couchbase-connection",
                "couchbase://127.0.0.1",
                "--couchbase-username",
                "bank",
                "--couchbase-password",
                "secret",
                "--bus",
                "rabbitmq",
                "--rabbitmq-uri",
                "amqp://guest:guest@127.0.0.1:5672/%2f"));
    args.addAll(List.of(flags));
    return BankOptions.parse(args, environment).infrastructure().rabbitmqQueueType();
  }

  @Test
  void the_buses_declare_their_topology_unless_the_flag_or_the_environment_says_false() {
    String variable = InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE;
    Map<String, String> checkOnly = Map.of(variable, "false");

    assertThat(declares(NO_ENVIRONMENT, "worker")).isTrue();
    assertThat(declares(NO_ENVIRONMENT, "worker", "--rabbitmq-declare-topology", "false"))
        .isFalse();
    assertThat(declares(NO_ENVIRONMENT, "worker", "--rabbitmq-declare-topology=FALSE")).isFalse();
    assertThat(declares(checkOnly, "worker")).isFalse();
    assertThat(declares(Map.of(variable, " "), "worker")).as("blank is unset").isTrue();
    assertThat(declares(checkOnly, "worker", "--rabbitmq-declare-topology", "true"))
        .as("a flag wins over its variable")
        .isTrue();
    assertThat(declares(checkOnly, "serve")).isFalse();
    assertThat(declares(checkOnly, "rebuild")).isFalse();
    assertThat(declares(checkOnly, "demo")).isFalse();
    assertThat(declares(checkOnly, "declare-topology"))
        .as("the operator's command declares whatever the deployment's variable says")
        .isTrue();
    assertThat(
            InfrastructureOptions.fromEnvironment(
                    InfrastructureOptions.Store.COUCHBASE,
                    InfrastructureOptions.Bus.RABBITMQ,
                    "bank",
                    checkOnly)
                .rabbitmqDeclareTopology())
        .as("what DistributedBank and a worker's child processes read")
        .isFalse();
    assertThat(InfrastructureOptions.inMemory().rabbitmqDeclareTopology()).isTrue();
  }

  private static boolean declares(
      Map<String, String> environment, String command, String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of(
                command,
                "--store",
                "couchbase",
                "--couchbase-connection",
                "couchbase://127.0.0.1",
                "--couchbase-username",
                "bank",
                "--couchbase-password",
                "secret",
                "--bus",
                "rabbitmq",
                "--rabbitmq-uri",
                "amqp://guest:guest@127.0.0.1:5672/%2f"));
    args.addAll(List.of(flags));
    return BankOptions.parse(args, environment).infrastructure().rabbitmqDeclareTopology();
  }

  @Test
  void a_declare_topology_setting_other_than_true_or_false_and_contradictions_are_usage_errors() {
    String variable = InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE;
    String uri = "amqp://guest:guest@127.0.0.1:5672/%2f";

    assertThat(run(NO_ENVIRONMENT, "--rabbitmq-declare-topology", "no")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--rabbitmq-declare-topology")).isEqualTo(2);
    assertThat(run(Map.of(variable, "yes"), "--bus", "rabbitmq", "--rabbitmq-uri", uri))
        .isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "declare-topology")).isEqualTo(2);
    assertThat(
            run(
                NO_ENVIRONMENT,
                "declare-topology",
                "--bus",
                "rabbitmq",
                "--rabbitmq-uri",
                uri,
                "--rabbitmq-declare-topology",
                "false"))
        .isEqualTo(2);
    assertThat(run(Map.of(variable, "false"), "serve", "--bus", "rabbitmq", "--rabbitmq-uri", uri))
        .isEqualTo(2);

    assertThat(err())
        .contains("--rabbitmq-declare-topology': expected one of true, false, was 'no'")
        .contains("Missing required parameter for option '--rabbitmq-declare-topology'")
        .contains("CQRS_RABBITMQ_DECLARE_TOPOLOGY: must be one of true, false, was 'yes'")
        .contains("declare-topology needs --bus rabbitmq")
        .contains("declare-topology always declares")
        .contains("serve with --rabbitmq-declare-topology false needs --store couchbase");
    assertThatThrownBy(
            () ->
                InfrastructureOptions.fromEnvironment(
                    InfrastructureOptions.Store.COUCHBASE,
                    InfrastructureOptions.Bus.RABBITMQ,
                    "bank",
                    Map.of(variable, "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CQRS_RABBITMQ_DECLARE_TOPOLOGY: must be one of true, false, was '0'");
  }

  @Test
  void the_topology_the_operator_declares_is_what_a_bank_consumes() {
    BankTopology topology = BankTopology.required();

    assertThat(topology.service()).isEqualTo(Bank.COMMAND_SERVICE);
    assertThat(topology.subscriptions()).containsExactly(Bank.JOURNAL);
    try (BankInfrastructure memory = BankInfrastructure.inMemory();
        Bank bank = Bank.create(memory)) {
      // Every command type the bank registers a handler for, so that none is unroutable.
      assertThat(topology.commandTypes())
          .isEqualTo(bank.cqrs().commands().commandTypes())
          .contains("OpenAccount", "CreditAccount", "DebitAccount", "CreateMoneyTransfer");
    }
  }

  @Test
  void a_queue_type_other_than_classic_or_quorum_is_a_usage_error() {
    Map<String, String> lazy = Map.of(InfrastructureOptions.QUEUE_TYPE_VARIABLE, "lazy");

    assertThat(run(NO_ENVIRONMENT, "--rabbitmq-queue-type", "stream")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--rabbitmq-queue-type=")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--rabbitmq-queue-type")).isEqualTo(2);
    assertThat(run(lazy, "--bus", "rabbitmq", "--rabbitmq-uri", "amqp://127.0.0.1")).isEqualTo(2);

    assertThat(err())
        .contains("--rabbitmq-queue-type': expected one of classic, quorum, was 'stream'")
        .contains("--rabbitmq-queue-type': expected one of classic, quorum, was ''")
        .contains("Missing required parameter for option '--rabbitmq-queue-type'")
        .contains("CQRS_RABBITMQ_QUEUE_TYPE: must be one of classic, quorum, was 'lazy'");
    assertThatThrownBy(
            () ->
                InfrastructureOptions.fromEnvironment(
                    InfrastructureOptions.Store.COUCHBASE,
                    InfrastructureOptions.Bus.RABBITMQ,
                    "bank",
                    lazy))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CQRS_RABBITMQ_QUEUE_TYPE: must be one of classic, quorum, was 'lazy'");
  }

  @Test
  void couchbase_needs_a_user_and_password_and_options_are_checked() {
    Map<String, String> servers = Map.of("CQRS_COUCHBASE_CONNECTION", "couchbase://127.0.0.1");

    assertThat(run(servers, "--store", "couchbase")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--prefix", "no spaces")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "serve", "--listeners", "0")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "--listeners", "2")).isEqualTo(2);

    assertThat(err())
        .contains("--store couchbase needs --couchbase-username or CQRS_COUCHBASE_USERNAME")
        .contains("--prefix': must be 1 to 40 characters")
        .contains("--listeners': must be a number from 1 to 64, was '0'")
        .contains("Unknown options: '--listeners', '2'");
  }

  @Test
  void an_unreachable_server_fails_with_a_message_that_hides_the_password() {
    Map<String, String> servers = Map.of("CQRS_RABBITMQ_URI", "amqp://bank:s3cret@127.0.0.1:1/%2f");

    assertThat(run(servers, "--bus", "rabbitmq")).isEqualTo(1);

    assertThat(err()).contains("example-bank: failed").doesNotContain("s3cret");
  }

  @Test
  void worker_and_rebuild_refuse_an_in_memory_store() {
    assertThat(run(NO_ENVIRONMENT, "worker")).isEqualTo(2);
    assertThat(run(NO_ENVIRONMENT, "rebuild")).isEqualTo(2);

    assertThat(err())
        .contains("worker needs a store and buses shared with other processes")
        .contains("rebuild needs --store couchbase");
  }

  @Test
  void serve_answers_http_until_it_is_stopped() throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    PrintStream printer = new PrintStream(out, true, StandardCharsets.UTF_8);
    CompletableFuture<Integer> exit =
        OwnThread.supplyAsync(
            () ->
                BankApplication.run(
                    new String[] {"serve", "--port", "0"},
                    NO_ENVIRONMENT,
                    printer,
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    stop));
    Pattern listening = Pattern.compile("listening on (http://\\S+/)");
    Await.await("the server to listen")
        .atMost(Duration.ofSeconds(30))
        .until(() -> listening.matcher(out()).find());
    Matcher url = listening.matcher(out());
    assertThat(url.find()).isTrue();

    Matcher secret = Pattern.compile("user 'admin' has the secret (\\S+)").matcher(out());
    assertThat(secret.find()).as(out()).isTrue();
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<String> ready =
        client.send(
            HttpRequest.newBuilder(URI.create(url.group(1) + "ready")).build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> withSecret = accounts(client, url.group(1), "admin:" + secret.group(1));
    HttpResponse<String> withDefault = accounts(client, url.group(1), "admin:admin");
    stop.countDown();

    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(ready.body()).startsWith("{\"status\":\"ready\"");
    assertThat(withSecret.statusCode()).as(withSecret.body()).isEqualTo(200);
    assertThat(withDefault.statusCode()).isEqualTo(401);
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
  }

  private static HttpResponse<String> accounts(HttpClient client, String base, String credentials)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(base + "accounts"))
            .header(
                "Authorization",
                "Basic "
                    + java.util.Base64.getEncoder()
                        .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void connection_settings_are_described_without_passwords() {
    InfrastructureOptions options =
        new InfrastructureOptions(
            InfrastructureOptions.Store.COUCHBASE,
            InfrastructureOptions.Bus.RABBITMQ,
            "couchbase://db",
            "bank",
            "s3cret",
            "events",
            "amqp://bank:s3cret@mq1:5672/%2f, amqp://bank:s3/cr@t@mq2:5672/%2f",
            QueueType.QUORUM,
            "bank2");

    assertThat(options.toString())
        .contains(
            "couchbase://db",
            "events",
            "amqp://bank:***@mq1:5672/%2f,amqp://bank:***@mq2:5672/%2f (quorum queues)",
            "prefix bank2")
        .doesNotContain("s3cret")
        .doesNotContain("cr@t");
  }
}
