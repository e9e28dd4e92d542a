package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.rabbitmq.BrokerUsers;
import io.cqrs.rabbitmq.BrokerUsers.Role;
import io.cqrs.rabbitmq.BrokerUsers.User;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The least-privilege deployment of {@code docs/security.md} with the bank itself: buses that
 * declare nothing ({@code --rabbitmq-declare-topology false}) fail without touching the broker when
 * the topology is missing, and run on a worker user without configure permission once an operator
 * ran {@code declare-topology}.
 */
class DeclareTopologyIT {
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String HASH = new PasswordHasher(1_000).hash("$ThisIsAPassword");

  private RabbitNamespace rabbit;
  private BrokerUsers users;

  @AfterEach
  void deleteWhatTheTestDeclared() {
    try {
      if (rabbit != null) {
        rabbit.deleteEverythingWithPrefix();
      }
    } finally {
      if (users != null) {
        users.close();
      }
    }
  }

  /** A run of the command line in this JVM: its exit status and what it printed. */
  private record Run(int status, String out, String err) {
    String describe() {
      return "exit " + status + "\nout:\n" + out + "\nerr:\n" + err;
    }
  }

  private static Run run(Map<String, String> environment, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        BankApplication.run(
            args,
            environment,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new CountDownLatch(1));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String[] worker(String prefix, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of("worker", "--store", "couchbase", "--bus", "rabbitmq", "--prefix", prefix));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  /**
   * Every exchange and queue the bank's buses use under {@code prefix}, as docs/rabbitmq.md says.
   */
  private static List<String> exchanges(String prefix) {
    return List.of(prefix + ".commands", prefix + ".events", prefix + ".failures");
  }

  private static List<String> queues(String prefix) {
    String commands = prefix + ".commands." + Bank.COMMAND_SERVICE;
    String journal = prefix + ".events." + Bank.JOURNAL;
    return List.of(commands, commands + ".dlq", journal, journal + ".dlq");
  }

  /** Asserts, by passive declarations, that none of the bank's exchanges and queues exist. */
  private void assertNothingDeclared(String prefix) {
    for (String exchange : exchanges(prefix)) {
      assertThatThrownBy(
              () -> rabbit.withChannel(channel -> channel.exchangeDeclarePassive(exchange)))
          .as("exchange %s", exchange)
          .hasStackTraceContaining("NOT_FOUND");
    }
    for (String queue : queues(prefix)) {
      assertThatThrownBy(() -> rabbit.withChannel(channel -> channel.queueDeclarePassive(queue)))
          .as("queue %s", queue)
          .hasStackTraceContaining("NOT_FOUND");
    }
  }

  @Test
  void a_bank_that_may_declare_but_is_told_not_to_fails_naming_the_missing_exchange() {
    // guest may declare anything: only the flag keeps this worker from declaring.
    Map<String, String> servers = BankServers.environment();
    rabbit = RabbitTestBroker.get().newNamespace("no-declare");
    String prefix = rabbit.prefix();

    Run worker = run(servers, worker(prefix, "--rabbitmq-declare-topology", "false"));

    assertThat(worker.status()).as(worker.describe()).isEqualTo(1);
    assertThat(worker.err())
        .contains("has no exchange " + prefix + ".commands")
        .contains("does not declare its topology")
        .contains("example-bank declare-topology --bus rabbitmq --prefix " + prefix);
    assertNothingDeclared(prefix);
  }

  @Test
  void a_bank_told_by_the_environment_not_to_declare_names_the_first_missing_queue() {
    Map<String, String> servers = new HashMap<>(BankServers.environment());
    servers.put(InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE, "false");
    rabbit = RabbitTestBroker.get().newNamespace("no-queues");
    String prefix = rabbit.prefix();
    // The exchanges exist (build() passes), the queues do not (subscribe must fail).
    rabbit.withChannel(channel -> channel.exchangeDeclare(prefix + ".commands", "topic", true));
    rabbit.withChannel(channel -> channel.exchangeDeclare(prefix + ".events", "topic", true));

    Run worker = run(servers, worker(prefix));

    assertThat(worker.status()).as(worker.describe()).isEqualTo(1);
    List<String> names = new ArrayList<>(queues(prefix));
    names.add(prefix + ".failures");
    String missing = String.join("|", names.stream().map(java.util.regex.Pattern::quote).toList());
    assertThat(worker.err())
        .containsPattern("has no (queue|exchange) (" + missing + "), and this bus does not declare")
        .contains("example-bank declare-topology --bus rabbitmq --prefix " + prefix);
    for (String queue : queues(prefix)) {
      assertThatThrownBy(() -> rabbit.withChannel(channel -> channel.queueDeclarePassive(queue)))
          .as("queue %s", queue)
          .hasStackTraceContaining("NOT_FOUND");
    }
    assertThatThrownBy(
            () ->
                rabbit.withChannel(channel -> channel.exchangeDeclarePassive(prefix + ".failures")))
        .hasStackTraceContaining("NOT_FOUND");
  }

  @Test
  void
      after_the_operator_declared_the_topology_a_worker_without_configure_permission_handles_commands()
          throws Exception {
    Map<String, String> servers = BankServers.environment();
    RabbitTestBroker broker = RabbitTestBroker.get();
    rabbit = broker.newNamespace("least-privilege");
    rabbit.requireAdmin();
    String prefix = rabbit.prefix();
    users = new BrokerUsers(broker);
    User operator = users.create("bank", Role.operator(prefix));
    User worker = users.create("bank", Role.worker(prefix));
    Map<String, String> asOperator = new HashMap<>(servers);
    asOperator.put("CQRS_RABBITMQ_URI", users.amqpUri(operator));
    Map<String, String> asWorker = new HashMap<>(servers);
    asWorker.put("CQRS_RABBITMQ_URI", users.amqpUri(worker));

    // The worker user cannot declare: a bank that tries is refused, and creates nothing.
    Run declaring = run(asWorker, worker(prefix));
    assertThat(declaring.status()).as(declaring.describe()).isEqualTo(1);
    assertThat(declaring.err()).contains("ACCESS_REFUSED");
    assertNothingDeclared(prefix);

    Run declare = run(asOperator, "declare-topology", "--bus", "rabbitmq", "--prefix", prefix);
    assertThat(declare.status()).as(declare.describe()).isZero();
    assertThat(declare.out())
        .contains("command service bank, bound with ")
        .contains("OpenAccount")
        .contains("CreditAccount")
        .contains("event subscription " + Bank.JOURNAL)
        .doesNotContain(operator.password());
    for (String exchange : exchanges(prefix)) {
      rabbit.withChannel(channel -> channel.exchangeDeclarePassive(exchange));
    }
    for (String queue : queues(prefix)) {
      rabbit.withChannel(channel -> channel.queueDeclarePassive(queue));
    }

    Map<String, String> client = new HashMap<>(asWorker);
    client.put(InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE, "false");
    try (BankProcess process =
            BankProcess.start(
                BankApplication.class,
                asWorker,
                worker(prefix, "--rabbitmq-declare-topology", "false"));
        DistributedBank bank = DistributedBank.fromEnvironment(prefix, client)) {
      process.awaitReady(START);
      String account = UUID.randomUUID().toString();

      bank.send(
          new OpenAccount(
              account, "Owner", "Least", "least@bank.example", HASH, new BigDecimal("100")));
      try {
        // The credit needs the account: it is sent once the worker opened it.
        Await.await("the worker to open the account")
            .atMost(SETTLE)
            .until(() -> bank.storeVersion(account) > 0);
        bank.send(new CreditAccount(account, new BigDecimal("25.00")));
        Await.await("the worker to credit it and the read model to show it")
            .atMost(SETTLE)
            .until(
                () ->
                    bank.account(account)
                        .map(view -> view.balance().compareTo(new BigDecimal("125.00")) == 0)
                        .orElse(false));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(process.describe(), e);
      }
      // The events went through the event bus to the journal's subscription, which the worker
      // consumes: its queue drains.
      String journal = prefix + ".events." + Bank.JOURNAL;
      Await.await("the journal's subscription to be consumed and drained")
          .atMost(SETTLE)
          .until(
              () -> {
                AMQP.Queue.DeclareOk queue =
                    rabbit.withChannel(channel -> channel.queueDeclarePassive(journal));
                return queue.getConsumerCount() > 0 && queue.getMessageCount() == 0;
              });
      assertThat(
              rabbit
                  .withChannel(
                      channel ->
                          channel.queueDeclarePassive(
                              prefix + ".commands." + Bank.COMMAND_SERVICE + ".dlq"))
                  .getMessageCount())
          .isZero();

      process.terminate();
      assertThat(process.awaitExit(Duration.ofSeconds(30))).as(process.describe()).isZero();
    }
  }
}
