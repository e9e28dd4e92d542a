package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.Command;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.http.ApiClient.Reply;
import java.math.BigDecimal;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter routes over real HTTP on the in-memory bank: real dead letters made by a broken
 * dependency ({@link Breakdown}), listed, replayed once it is repaired, their effect seen once.
 */
class DeadLetterApiTest {
  private final Breakdown breakdown = new Breakdown();
  private ServedBank served;
  private BankInfrastructure infrastructure;
  private Bank bank;
  private BankHttpServer server;
  private ApiClient alice;
  private ApiClient root;
  private ApiClient anonymous;

  @BeforeEach
  void start() {
    served = ServedBank.inMemory(breakdown);
    infrastructure = served.infrastructure();
    bank = served.bank();
    server = served.server();
    URI base = server.uri();
    alice = ApiClient.as("alice", base);
    root = ApiClient.as("root", base);
    anonymous = new ApiClient(alice.http(), base, null, null);
  }

  @AfterEach
  void stop() {
    served.close();
  }

  @Test
  void only_an_administrator_sees_or_replays_dead_letters() throws Exception {
    String replay = "/admin/dead-letters/queues/commands/bank/replay";
    for (Reply reply : List.of(anonymous.get("/admin/dead-letters"), anonymous.post(replay, ""))) {
      DeadLetterChecks.assertProblem(reply, 401, "unauthorized");
      assertThat(reply.header("WWW-Authenticate")).startsWith("Basic");
    }
    for (Reply reply :
        List.of(
            alice.get("/admin/dead-letters"),
            alice.post(replay, ""),
            alice.post("/admin/dead-letters/processors/" + UUID.randomUUID() + "/replay", ""))) {
      DeadLetterChecks.assertProblem(reply, 403, "forbidden");
    }
  }

  @Test
  void unknown_buses_queues_and_ids_are_not_found_and_hostile_ones_refused() throws Exception {
    DeadLetterChecks.assertProblem(
        root.post("/admin/dead-letters/queues/nowhere/bank/replay", ""), 404, "not_found");
    DeadLetterChecks.assertProblem(
        root.post("/admin/dead-letters/queues/commands/other/replay", ""), 404, "not_found");
    DeadLetterChecks.assertProblem(
        root.post("/admin/dead-letters/queues/events/bank/replay", ""), 404, "not_found");
    DeadLetterChecks.assertProblem(
        root.post("/admin/dead-letters/processors/" + UUID.randomUUID() + "/replay", ""),
        404,
        "not_found");
    Reply hostileName = root.post("/admin/dead-letters/queues/commands/..%2Fbank/replay", "");
    DeadLetterChecks.assertProblem(hostileName, 400, "invalid_field");
    assertThat(hostileName.body().get("field").asText()).isEqualTo("name");
    Reply hostileId = root.post("/admin/dead-letters/processors/%3Cscript%3E/replay", "");
    DeadLetterChecks.assertProblem(hostileId, 400, "invalid_field");
    assertThat(hostileId.body().get("field").asText()).isEqualTo("id");
  }

  @Test
  void an_empty_bank_lists_its_queues_with_nothing_in_them() throws Exception {
    JsonNode list = DeadLetterChecks.list(root);

    assertThat(list.get("queues"))
        .extracting(q -> q.get("bus").asText() + "/" + q.get("name").asText())
        .containsExactly(
            "commands/" + Bank.COMMAND_SERVICE, "events/" + bank.journalSubscription());
    assertThat(list.get("queues")).allSatisfy(q -> assertThat(q.get("count").asLong()).isZero());
    assertThat(list.get("processors")).isEmpty();
  }

  @Test
  void a_command_that_failed_until_the_cause_was_fixed_is_replayed_and_credits_once()
      throws Exception {
    String account = alice.open("Poisoned", "100.00");
    breakdown.breakDown(Bank.COMMAND_SERVICE);
    Command credit = Command.create(new CreditAccount(account, new BigDecimal("25.00")));

    infrastructure.commandBus().publish(credit);

    JsonNode queue = DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 1);
    JsonNode item = queue.get("items").get(0);
    assertThat(item.get("messageId").asText()).isEqualTo(credit.messageId());
    assertThat(item.get("type").asText()).isEqualTo("CreditAccount");
    assertThat(item.get("reason").asText()).isEqualTo("handler-failed");
    assertThat(item.get("failure").asText()).contains(Breakdown.FAILURE);
    assertThat(item.get("attempts").asInt()).isEqualTo(3);
    assertThat(queue.get("more").asLong()).isZero();

    breakdown.repair();
    Reply replay =
        root.post("/admin/dead-letters/queues/commands/" + Bank.COMMAND_SERVICE + "/replay", "");

    assertThat(replay.status()).as(replay.raw().body()).isEqualTo(200);
    assertThat(replay.body().get("replayed").asLong()).isOne();
    alice.awaitVersion("/accounts/" + account, 2);
    assertThat(alice.get("/accounts/" + account).body().get("balance").decimalValue())
        .isEqualByComparingTo("125.00");
    assertThat(credits(account)).as("the credit took effect once").isOne();
    assertThat(DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 0).get("items"))
        .isEmpty();
  }

  @Test
  void a_queue_replay_with_max_sends_back_only_the_oldest_ones_and_refuses_a_bad_max()
      throws Exception {
    String account = alice.open("Batched", "100.00");
    breakdown.breakDown(Bank.COMMAND_SERVICE);
    List<Command> credits = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Command credit = Command.create(new CreditAccount(account, new BigDecimal("1.00")));
      credits.add(credit);
      infrastructure.commandBus().publish(credit);
      DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, i + 1);
    }
    String path = "/admin/dead-letters/queues/commands/" + Bank.COMMAND_SERVICE + "/replay";
    for (String bad :
        List.of(
            "0",
            "-1",
            "1e3",
            "%2B1",
            "%201",
            "99999999999999999999",
            "9999999999999999999",
            "",
            "x",
            "1&max=1000")) {
      Reply refused = root.post(path + "?max=" + bad, "");
      DeadLetterChecks.assertProblem(refused, 400, "invalid_max");
    }
    assertThat(DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 3).get("items"))
        .as("a refused replay takes nothing")
        .hasSize(3);

    breakdown.repair();
    Reply replay = root.post(path + "?max=2", "");

    assertThat(replay.status()).as(replay.raw().body()).isEqualTo(200);
    assertThat(replay.body().get("replayed").asLong()).isEqualTo(2);
    alice.awaitVersion("/accounts/" + account, 3);
    JsonNode left = DeadLetterChecks.awaitQueue(root, "commands", Bank.COMMAND_SERVICE, 1);
    assertThat(left.get("items").get(0).get("messageId").asText())
        .as("the oldest two went back, the newest waits")
        .isEqualTo(credits.get(2).messageId());
    assertThat(alice.get("/accounts/" + account).body().get("balance").decimalValue())
        .isEqualByComparingTo("102.00");
  }

  @Test
  void a_read_model_event_that_failed_is_replayed_after_the_fix_and_applied_once()
      throws Exception {
    String account = alice.open("Stuck", "100.00");
    breakdown.breakDown("bank-accounts");
    Reply credited = alice.post("/accounts/" + account + "/credit", "{\"amount\":\"5.00\"}");
    assertThat(credited.status()).as(credited.raw().body()).isEqualTo(200);

    JsonNode letter = DeadLetterChecks.awaitProcessorLetter(root, account);
    assertThat(letter.get("processor").asText()).startsWith("bank-accounts");
    assertThat(letter.get("eventType").asText()).isEqualTo("AccountCredited");
    assertThat(letter.get("version").asLong()).isEqualTo(2);
    assertThat(letter.get("message").asText()).contains(Breakdown.FAILURE);
    String id = letter.get("id").asText();
    String replayPath = "/admin/dead-letters/processors/" + id + "/replay";

    Reply stillBroken = root.post(replayPath, "");

    DeadLetterChecks.assertProblem(stillBroken, 409, "replay_failed");
    assertThat(stillBroken.detail()).contains(Breakdown.FAILURE);
    JsonNode listed = DeadLetterChecks.awaitProcessorLetter(root, account);
    assertThat(listed.get("id").asText()).isEqualTo(id);
    assertThat(listed.get("failedReplays").asInt()).isOne();

    breakdown.repair();
    Reply replayed = root.post(replayPath, "");

    assertThat(replayed.status()).as(replayed.raw().body()).isEqualTo(200);
    assertThat(replayed.body().get("status").asText()).isEqualTo("replayed");
    assertThat(alice.get("/accounts/" + account).body().get("balance").decimalValue())
        .isEqualByComparingTo("105.00");
    assertThat(DeadLetterChecks.processorLetters(root, account)).isEmpty();
    DeadLetterChecks.assertProblem(root.post(replayPath, ""), 404, "not_found");
  }

  @Test
  void a_journal_event_that_failed_is_replayed_from_the_event_queue_and_recorded_once()
      throws Exception {
    String account = alice.open("Journalled", "100.00");
    long before = bank.journal().total();
    breakdown.breakDown(bank.journalSubscription());
    alice.post("/accounts/" + account + "/credit", "{\"amount\":\"1.00\"}");

    JsonNode queue = DeadLetterChecks.awaitQueue(root, "events", bank.journalSubscription(), 1);
    assertThat(queue.get("items").get(0).get("type").asText()).isEqualTo("AccountCredited");
    breakdown.repair();

    Reply replay =
        root.post(
            "/admin/dead-letters/queues/events/" + bank.journalSubscription() + "/replay", "");

    assertThat(replay.body().get("replayed").asLong()).isOne();
    Awaitility.await("the journal")
        .atMost(ApiClient.TIMEOUT)
        .until(() -> bank.journal().total() > before);
    assertThat(bank.journal().total()).isEqualTo(before + 1);
    assertThat(
            DeadLetterChecks.awaitQueue(root, "events", bank.journalSubscription(), 0)
                .get("count")
                .asLong())
        .isZero();
  }

  private long credits(String account) throws Exception {
    JsonNode history = alice.get("/accounts/" + account + "/history?limit=500").body().get("items");
    return StreamSupport.stream(history.spliterator(), false)
        .filter(e -> e.path("type").asText().equals("AccountCredited"))
        .count();
  }
}
