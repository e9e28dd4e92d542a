package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.http.ApiClient.Reply;
import io.cqrs.example.bank.readmodel.CouchbaseViewStores;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter routes as deployed: the store and the read models' views on Couchbase (mock),
 * commands and events on RabbitMQ (retried after 0.2 and 0.4 s, not the default minute, so that a
 * failing command reaches its dead-letter queue within the test). A broken dependency ({@link
 * Breakdown}) makes real dead letters; once repaired, a replay takes effect once.
 */
class DeadLetterServiceIT {
  private final Breakdown breakdown = new Breakdown();
  private RabbitNamespace rabbit;
  private RabbitCommandBus commands;
  private BankInfrastructure infrastructure;
  private Bank bank;
  private BankHttpServer server;
  private ApiClient alice;
  private ApiClient root;

  @BeforeEach
  void start() {
    rabbit = RabbitTestBroker.get().newNamespace("svc-dead");
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
    EventSerializer serializer = new EventSerializer(BankTypes.registry());
    Duration[] retries = {Duration.ofMillis(200), Duration.ofMillis(400)};
    commands = rabbit.track(rabbit.commandBusBuilder(serializer).retryDelays(retries).build());
    RabbitEventBus events =
        rabbit.track(rabbit.eventBusBuilder(serializer).retryDelays(retries).build());
    infrastructure =
        BankInfrastructure.of(
            CouchbaseEventStreamRepository.builder(couchbase.collection(), serializer)
                .keyPrefix(rabbit.prefix())
                .build(),
            events,
            commands,
            new CouchbaseViewStores(couchbase.collection(), rabbit.prefix()),
            "Couchbase and RabbitMQ under " + rabbit.prefix());
    bank =
        Bank.builder(infrastructure)
            .passwords(new PasswordHasher(1_000))
            .interceptors(List.of(breakdown))
            .build()
            .start();
    server =
        BankHttpServer.start(
            bank,
            BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users())
                .withCommandsOverBus(true));
    alice = ApiClient.as("alice", server.uri());
    root = ApiClient.as("root", server.uri());
  }

  @AfterEach
  void stop() {
    server.close();
    bank.close();
    infrastructure.close();
    rabbit.close();
  }

  @Test
  void a_command_dead_lettered_on_rabbitmq_is_listed_in_place_and_replayed_once() throws Exception {
    String account = open("Poisoned");
    breakdown.breakDown(Bank.COMMAND_SERVICE);
    Command credit = Command.create(new CreditAccount(account, new BigDecimal("25.00")));

    commands.publish(credit);

    JsonNode queue = DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 1);
    JsonNode item = queue.get("items").get(0);
    assertThat(item.get("messageId").asText()).isEqualTo(credit.messageId());
    assertThat(item.get("type").asText()).isEqualTo("CreditAccount");
    assertThat(item.get("reason").asText()).isEqualTo("handler-failed");
    assertThat(item.get("failure").asText()).contains(Breakdown.FAILURE);
    assertThat(item.get("attempts").asInt()).isEqualTo(3);
    assertThat(DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 1))
        .as("looking took nothing from the queue")
        .isEqualTo(queue);

    breakdown.repair();
    Reply replay =
        root.post("/admin/dead-letters/queues/commands/" + Bank.COMMAND_SERVICE + "/replay", "");

    assertThat(replay.status()).as(replay.raw().body()).isEqualTo(200);
    assertThat(replay.body().get("replayed").asLong()).isOne();
    assertThat(alice.awaitVersion("/accounts/" + account, 2).get("balance").decimalValue())
        .isEqualByComparingTo("125.00");
    assertThat(DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 0).get("items"))
        .isEmpty();
    assertThat(bank.repository().store().version(account)).as("credited once").isEqualTo(2);
  }

  @Test
  void a_read_model_dead_letter_on_couchbase_is_replayed_after_the_fix_and_applied_once()
      throws Exception {
    String account = open("Stuck");
    breakdown.breakDown("bank-accounts");
    awaitSucceeded(alice.post("/accounts/" + account + "/credit", "{\"amount\":\"5.00\"}"));

    JsonNode letter = DeadLetterChecks.awaitProcessorLetter(root, account);
    assertThat(letter.get("processor").asText()).startsWith("bank-accounts");
    assertThat(letter.get("version").asLong()).isEqualTo(2);
    String replayPath = "/admin/dead-letters/processors/" + letter.get("id").asText() + "/replay";
    DeadLetterChecks.assertProblem(root.post(replayPath, ""), 409, "replay_failed");

    breakdown.repair();
    Reply replayed = root.post(replayPath, "");

    assertThat(replayed.status()).as(replayed.raw().body()).isEqualTo(200);
    JsonNode view = alice.get("/accounts/" + account).body();
    assertThat(view.get("balance").decimalValue()).isEqualByComparingTo("105.00");
    assertThat(view.get("version").asLong()).isEqualTo(2);
    assertThat(DeadLetterChecks.processorLetters(root, account)).isEmpty();
    DeadLetterChecks.assertProblem(root.post(replayPath, ""), 404, "not_found");
  }

  private String open(String name) throws Exception {
    JsonNode opened =
        awaitSucceeded(
            alice.post(
                "/accounts",
                "{\"firstName\":\""
                    + name
                    + "\",\"lastName\":\"L\",\"email\":\""
                    + name.toLowerCase()
                    + "@cqrs.example\",\"password\":\"$ecretPassw0rd\",\"initialBalance\":100}"));
    String id = opened.get("commandId").asText();
    alice.awaitVersion("/accounts/" + id, 1);
    return id;
  }

  private JsonNode awaitSucceeded(Reply accepted) {
    assertThat(accepted.status()).as(accepted.raw().body()).isEqualTo(202);
    String location = accepted.header("Location");
    JsonNode outcome =
        Awaitility.await("the outcome of " + location)
            .atMost(ApiClient.TIMEOUT)
            .until(
                () -> alice.get(location).body(),
                status -> !"pending".equals(status.get("status").asText()));
    assertThat(outcome.get("status").asText()).as(outcome.toString()).isEqualTo("succeeded");
    return outcome;
  }
}
