package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.DistributedBank.AccountReading;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.Subscription;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code worker} as real processes: competing consumers, shared read models, SIGTERM, SIGKILL. */
class WorkerIT {
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String HASH = new PasswordHasher(1_000).hash("$ThisIsAPassword");

  /**
   * The running test's corner of the broker, its prefix also the Couchbase key prefix. The worker
   * processes declare queues this JVM never learns of, so everything under the prefix is deleted
   * after the test, passed or failed.
   */
  private RabbitNamespace rabbit;

  @AfterEach
  void deleteWhatTheTestDeclared() {
    if (rabbit != null) {
      rabbit.deleteEverythingWithPrefix();
    }
  }

  /** A worker of {@code prefix}, with {@code extra} options (such as {@code --metrics-port}). */
  private static BankProcess worker(Map<String, String> servers, String prefix, String... extra)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "worker",
                "--store",
                "couchbase",
                "--bus",
                "rabbitmq",
                "--prefix",
                prefix,
                "--listeners",
                "2"));
    args.addAll(List.of(extra));
    return BankProcess.start(BankApplication.class, servers, args.toArray(String[]::new));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The sum over {@code texts} of the samples of a command counter with these labels. */
  private static long handled(List<String> texts, String command, String outcome) {
    Map<String, String> labels =
        Map.of("command", command, "component", Bank.COMMAND_SERVICE, "outcome", outcome);
    return texts.stream()
        .mapToLong(text -> PrometheusText.sum(text, "cqrs_commands_handled_seconds_count", labels))
        .sum();
  }

  private static String scrape(int port) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  @Test
  void a_worker_whose_consumers_the_broker_cancelled_exits_70_for_its_supervisor()
      throws Exception {
    Map<String, String> servers = BankServers.environment();
    rabbit = RabbitTestBroker.get().newNamespace("worker-exit");
    String prefix = rabbit.prefix();
    try (BankProcess worker = worker(servers, prefix)) {
      worker.awaitReady(START);

      // Deleting its queue makes the broker cancel the worker's command consumers, which no
      // connection recovery brings back: the worker must not stay up consuming nothing.
      rabbit.withChannel(
          channel -> channel.queueDelete(prefix + ".commands." + Bank.COMMAND_SERVICE));

      assertThat(worker.awaitExit(SETTLE)).as(worker.describe()).isEqualTo(70);
      assertThat(worker.describe()).contains("exiting with status 70").contains("cancelled");
    }
  }

  @Test
  void two_workers_build_read_models_equal_to_the_store_and_exit_0_on_sigterm() throws Exception {
    Map<String, String> servers = BankServers.environment();
    rabbit = RabbitTestBroker.get().newNamespace("workers");
    String prefix = rabbit.prefix();
    int firstMetrics = freePort();
    int secondMetrics = freePort();
    try (BankProcess first =
            worker(servers, prefix, "--metrics-port", String.valueOf(firstMetrics));
        BankProcess second =
            worker(servers, prefix, "--metrics-port", String.valueOf(secondMetrics));
        DistributedBank bank = DistributedBank.fromEnvironment(prefix, servers)) {
      first.awaitReady(START);
      second.awaitReady(START);

      List<String> accounts = openAccounts(bank, 4);
      for (String account : accounts) {
        bank.send(new CreditAccount(account, new BigDecimal("10.00")));
      }
      List<String> transfers = new ArrayList<>();
      transfers.add(transfer(bank, accounts.get(0), accounts.get(1), "30.00"));
      transfers.add(transfer(bank, accounts.get(1), accounts.get(2), "20.00"));
      transfers.add(transfer(bank, accounts.get(2), accounts.get(3), "500.00"));
      transfers.add(transfer(bank, accounts.get(3), accounts.get(0), "5.00"));
      Await.await("read models equal to the store")
          .atMost(SETTLE)
          .until(() -> settled(bank, accounts, transfers));

      BigDecimal total = BigDecimal.ZERO;
      for (String id : accounts) {
        Account written = bank.bank().service().findAccount(id).orElseThrow();
        AccountReading read = bank.account(id).orElseThrow();
        assertThat(read.balance()).isEqualTo(written.balance());
        assertThat(read.version()).isEqualTo(written.version());
        total = total.add(read.balance());
      }
      assertThat(total).isEqualTo(new BigDecimal("440.00"));
      for (String id : transfers) {
        MoneyTransfer written = bank.bank().service().findTransfer(id).orElseThrow();
        assertThat(bank.transfer(id).orElseThrow().state()).isEqualTo(written.state());
      }
      // The two workers' /metrics together count every command the bus brought them.
      List<String> metrics = List.of(scrape(firstMetrics), scrape(secondMetrics));
      assertThat(handled(metrics, "OpenAccount", "succeeded")).isEqualTo(4);
      assertThat(handled(metrics, "CreditAccount", "succeeded")).isEqualTo(4);
      assertThat(handled(metrics, "CreateMoneyTransfer", "succeeded")).isEqualTo(4);

      first.terminate();
      second.terminate();
      assertThat(first.awaitExit(Duration.ofSeconds(30))).as(first.describe()).isZero();
      assertThat(second.awaitExit(Duration.ofSeconds(30))).as(second.describe()).isZero();
    }
  }

  private static List<String> openAccounts(DistributedBank bank, int count) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = UUID.randomUUID().toString();
      ids.add(id);
      bank.send(
          new OpenAccount(
              id, "Owner", "No" + i, "owner" + i + "@bank.example", HASH, new BigDecimal("100")));
    }
    // Credits and transfers need the accounts: wait until the workers opened them.
    Await.await("the accounts to be opened")
        .atMost(SETTLE)
        .until(() -> ids.stream().allMatch(id -> bank.storeVersion(id) > 0));
    return ids;
  }

  private static String transfer(DistributedBank bank, String from, String to, String amount) {
    String id = UUID.randomUUID().toString();
    bank.send(new CreateMoneyTransfer(id, from, to, new BigDecimal(amount)));
    return id;
  }

  /** Every transfer has ended, and every read-model view is at its stream's version. */
  private static boolean settled(
      DistributedBank bank, List<String> accounts, List<String> transfers) {
    for (String id : transfers) {
      Optional<MoneyTransfer> written = bank.bank().service().findTransfer(id);
      if (written.isEmpty() || !written.get().state().isFinal()) {
        return false;
      }
      if (bank.transfer(id).map(t -> t.version()).orElse(0L) != bank.storeVersion(id)) {
        return false;
      }
    }
    return accounts.stream()
        .allMatch(
            id ->
                bank.account(id).map(AccountReading::version).orElse(0L) == bank.storeVersion(id)
                    && bank.bank().users().version(id) == bank.storeVersion(id));
  }

  @Test
  void a_commit_whose_process_was_killed_before_publishing_is_relayed_and_applied_once()
      throws Exception {
    Map<String, String> servers = BankServers.environment();
    rabbit = RabbitTestBroker.get().newNamespace("killed");
    String prefix = rabbit.prefix();
    try (DistributedBank bank = DistributedBank.fromEnvironment(prefix, servers)) {
      Assumptions.assumeTrue(
          bank.infrastructure().store() instanceof RelayStore,
          "The Couchbase store does not implement RelayStore yet, so no relay can run on it");
      String id = UUID.randomUUID().toString();
      AtomicInteger published = new AtomicInteger();
      try (Subscription probe =
              bank.infrastructure()
                  .eventBus()
                  .subscribe(
                      "probe",
                      1,
                      event -> {
                        if (event.sourceId().equals(id)) {
                          published.incrementAndGet();
                        }
                      });
          BankProcess dying = BankProcess.start(CommitThenDie.class, servers, prefix, id)) {
        assertThat(dying.awaitExit(START)).as(dying.describe()).isEqualTo(CommitThenDie.KILLED);
        assertThat(bank.storeVersion(id)).isEqualTo(1);
        assertThat(published).hasValue(0);

        try (BankProcess relaying = worker(servers, prefix)) {
          relaying.awaitReady(START);
          Await.await("the relay to publish the commit")
              .atMost(SETTLE)
              .until(() -> published.get() > 0);
          Await.await("the read models to apply it")
              .atMost(SETTLE)
              .until(
                  () -> bank.account(id).isPresent() && bank.bank().users().find(id).isPresent());
          relaying.terminate();
          assertThat(relaying.awaitExit(Duration.ofSeconds(30))).isZero();
        }
      }
      AccountReading ned = bank.account(id).orElseThrow();
      assertThat(ned.balance()).isEqualTo(new BigDecimal("10.00"));
      assertThat(ned.version()).isEqualTo(1);
      assertThat(bank.bank().users().version(id)).isEqualTo(1);
    }
  }
}
