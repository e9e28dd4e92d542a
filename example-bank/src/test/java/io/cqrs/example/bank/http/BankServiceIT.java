package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.codec.RawBinaryTranscoder;
import com.couchbase.client.java.kv.UpsertOptions;
import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.couchbase.mock.CouchbaseMockProcess;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.http.ApiClient.Reply;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The API as deployed: Couchbase (mock) and RabbitMQ, commands over the bus answered 202 with a
 * status resource, idempotency across retries, readiness that tells the truth when a server goes,
 * and a corrupt read-model document that spoils nothing but itself.
 */
class BankServiceIT {
  private final ServiceServers servers = new ServiceServers();

  @AfterEach
  void deleteWhatTheTestDeclared() {
    servers.close();
  }

  private static BankHttpServer serve(Bank bank) {
    return BankHttpServer.start(
        bank,
        BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users()).withCommandsOverBus(true));
  }

  private static JsonNode awaitOutcome(ApiClient client, Reply accepted) {
    assertThat(accepted.status()).as(accepted.raw().body()).isEqualTo(202);
    String location = accepted.header("Location");
    assertThat(location).startsWith("/commands/");
    return Awaitility.await("the outcome of " + location)
        .atMost(ApiClient.TIMEOUT)
        .until(
            () -> client.get(location).body(),
            status -> !"pending".equals(status.get("status").asText()));
  }

  @Test
  void commands_over_the_bus_answer_202_and_their_status_resource_tells_the_outcome()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.create(servers.shared("svc-bus"));
        Bank bank =
            Bank.builder(infrastructure).passwords(new PasswordHasher(1_000)).build().start();
        BankHttpServer server = serve(bank)) {
      ApiClient alice = ApiClient.as("alice", server.uri());
      ApiClient bob = ApiClient.as("bob", server.uri());

      Reply open =
          alice.post(
              "/accounts",
              "{\"firstName\":\"Ada\",\"lastName\":\"L\",\"email\":\"ada@cqrs.example\","
                  + "\"password\":\"$ecretPassw0rd\",\"initialBalance\":5}");
      JsonNode opened = awaitOutcome(alice, open);
      String id = opened.get("commandId").asText();
      assertThat(opened.get("status").asText()).isEqualTo("succeeded");
      assertThat(opened.get("version").asLong()).isEqualTo(1);

      // Five retries of one request over the bus: one credit.
      List<Reply> credits = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        credits.add(alice.post("/accounts/" + id + "/credit", "{\"amount\":2.50}", "retry-me"));
      }
      assertThat(credits)
          .extracting(Reply::status)
          .allMatch(status -> status == 202 || status == 200);
      JsonNode credited = awaitOutcome(alice, credits.get(0));
      assertThat(credited.get("version").asLong()).isEqualTo(2);
      assertThat(alice.awaitVersion("/accounts/" + id, 2).get("balance").decimalValue())
          .isEqualTo(new BigDecimal("7.50"));
      Reply late = alice.post("/accounts/" + id + "/credit", "{\"amount\":2.50}", "retry-me");
      assertThat(late.status()).isEqualTo(200);
      assertThat(late.body().get("version").asLong()).isEqualTo(2);

      JsonNode overdrawn =
          awaitOutcome(alice, alice.post("/accounts/" + id + "/debit", "{\"amount\":100}"));
      assertThat(overdrawn.get("status").asText()).isEqualTo("rejected");
      assertThat(overdrawn.at("/rejection/code").asText()).isEqualTo("insufficient_funds");
      assertThat(overdrawn.at("/rejection/status").asInt()).isEqualTo(409);

      assertThat(bob.get("/commands/" + opened.get("commandId").asText()).status()).isEqualTo(403);
      assertThat(bank.repository().store().version(id)).isEqualTo(2);
    }
  }

  @Test
  void a_corrupt_read_model_document_is_reported_and_the_rest_of_the_list_served()
      throws Exception {
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
    try (BankInfrastructure infrastructure =
            BankInfrastructure.create(servers.shared("svc-corrupt"));
        Bank bank =
            Bank.builder(infrastructure).passwords(new PasswordHasher(1_000)).build().start();
        BankHttpServer server = serve(bank)) {
      ApiClient alice = ApiClient.as("alice", server.uri());
      ApiClient root = ApiClient.as("root", server.uri());
      String good =
          awaitOutcome(alice, alice.post("/accounts", account("Good"))).get("commandId").asText();
      String bad =
          awaitOutcome(alice, alice.post("/accounts", account("Bad"))).get("commandId").asText();
      alice.awaitVersion("/accounts/" + good, 1);
      alice.awaitVersion("/accounts/" + bad, 1);

      couchbase
          .collection()
          .upsert(
              infrastructure.prefix() + "::rm::accounts::v::" + bad,
              "{\"version\":1,\"view\":".getBytes(StandardCharsets.UTF_8),
              UpsertOptions.upsertOptions().transcoder(RawBinaryTranscoder.INSTANCE));

      Reply list = root.get("/accounts");
      assertThat(list.status()).as(list.raw().body()).isEqualTo(200);
      assertThat(list.body().get("items").toString()).contains(good).doesNotContain(bad);
      assertThat(list.body().at("/unreadable/0/id").asText()).isEqualTo(bad);
      Reply own = alice.get("/accounts");
      assertThat(own.status()).isEqualTo(200);
      assertThat(own.body().get("items").toString()).contains(good);
      assertThat(alice.get("/accounts/" + good).status()).isEqualTo(200);
      // A customer's list of transfers looks through the accounts too: still served.
      assertThat(alice.get("/transfers").status()).isEqualTo(200);
      Reply single = root.get("/accounts/" + bad);
      assertThat(single.status()).isEqualTo(500);
      assertThat(single.code()).isEqualTo("unreadable_document");
      assertThat(single.raw().body()).doesNotContain("::rm::");
    }
  }

  private static String account(String name) {
    return "{\"firstName\":\""
        + name
        + "\",\"lastName\":\"L\",\"email\":\""
        + name.toLowerCase()
        + "@cqrs.example\",\"password\":\"$ecretPassw0rd\"}";
  }

  @Test
  void ready_answers_503_when_the_consumers_are_gone() throws Exception {
    try (BankInfrastructure infrastructure =
            BankInfrastructure.create(servers.shared("svc-ready"));
        Bank bank =
            Bank.builder(infrastructure).passwords(new PasswordHasher(1_000)).build().start();
        BankHttpServer server = serve(bank)) {
      ApiClient probe =
          new ApiClient(ApiClient.as("alice", server.uri()).http(), server.uri(), null, null);
      assertThat(probe.get("/ready").status()).isEqualTo(200);

      String prefix = infrastructure.prefix();
      servers
          .rabbit()
          .withChannel(
              channel -> channel.queueDelete(prefix + ".commands." + Bank.COMMAND_SERVICE));

      Reply ready =
          Awaitility.await("readiness to notice the cancelled consumers")
              .atMost(ApiClient.TIMEOUT)
              .until(() -> probe.get("/ready"), reply -> reply.status() == 503);
      assertThat(ready.body().get("reasons").toString()).contains("command bus");
    }
  }

  @Test
  void ready_answers_503_while_couchbase_is_down() throws Exception {
    try (CouchbaseMockProcess couchbase = CouchbaseMockProcess.start("ready", "password")) {
      try (BankInfrastructure infrastructure =
              BankInfrastructure.create(
                  servers.options(
                      "svc-cb-down",
                      couchbase.connectionString(),
                      couchbase.username(),
                      couchbase.password(),
                      couchbase.bucket()));
          Bank bank =
              Bank.builder(infrastructure).passwords(new PasswordHasher(1_000)).build().start();
          BankHttpServer server = serve(bank)) {
        ApiClient probe =
            new ApiClient(ApiClient.as("alice", server.uri()).http(), server.uri(), null, null);
        assertThat(probe.get("/ready").status())
            .as(probe.get("/ready").raw().body())
            .isEqualTo(200);

        couchbase.close(); // the whole Couchbase process goes

        Reply ready =
            Awaitility.await("readiness to notice Couchbase is gone")
                .atMost(Duration.ofSeconds(60))
                .until(() -> probe.get("/ready"), reply -> reply.status() == 503);
        assertThat(ready.body().get("reasons").toString()).contains("store unreachable");
        JsonNode details = ApiClient.as("root", server.uri()).get("/ready").body();
        assertThat(details.get("storeReachable").asBoolean()).isFalse();
        assertThat(probe.get("/health").status()).isEqualTo(200);
        assertThat(Set.of(200, 503)).contains(probe.get("/ready").status());
      }
    }
  }
}
