package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.Command;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API over real HTTP, on a free port. */
class BankHttpApiTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = ApiJson.mapper();

  private static BankInfrastructure infrastructure;
  private static Bank bank;
  private static BankHttpServer server;
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws IOException {
    infrastructure = BankInfrastructure.inMemory();
    bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
    server = BankHttpServer.start(bank, "127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    server.close();
    bank.close();
    infrastructure.close();
  }

  /** A response: its status, its JSON body (or null) and its headers. */
  private record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    String error() {
      return body.get("error").asText();
    }

    String message() {
      return body.get("message").asText();
    }
  }

  private static Reply send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri().resolve(path.substring(1)))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = response.body().isEmpty() ? null : JSON.readTree(response.body());
    return new Reply(response.statusCode(), json, response);
  }

  private static Reply get(String path) throws Exception {
    return send("GET", path, null);
  }

  private static Reply post(String path, String body) throws Exception {
    return send("POST", path, body);
  }

  private static String open(String firstName, String balance) throws Exception {
    Reply reply =
        post(
            "/accounts",
            "{\"firstName\":\""
                + firstName
                + "\",\"lastName\":\"Test\",\"email\":\""
                + firstName.toLowerCase()
                + "@cqrs.example\",\"password\":\"$ecretPassw0rd\",\"initialBalance\":"
                + balance
                + "}");
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(201);
    return reply.body().get("id").asText();
  }

  private static BigDecimal balance(String accountId) throws Exception {
    return get("/accounts/" + accountId).body().get("balance").decimalValue();
  }

  private static JsonNode awaitTransfer(String transferId) throws Exception {
    Await.until(
        TIMEOUT,
        "transfer " + transferId + " to finish",
        () -> {
          try {
            String state = get("/transfers/" + transferId).body().get("state").asText();
            return state.equals("COMPLETED") || state.equals("FAILED");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    return get("/transfers/" + transferId).body();
  }

  @Test
  void health_answers_ok_with_the_consumers_of_each_bus() throws Exception {
    Reply reply = get("/health");

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.raw().headers().firstValue("Content-Type"))
        .contains("application/json; charset=utf-8");
    assertThat(reply.body().get("status").asText()).isEqualTo("ok");
    // Bank.start(): 2 command listeners; 1 for the journal (the transfer process and the read
    // models run on tracking processors, which read the store's log, not the bus).
    assertThat(reply.body().at("/commandBus/consumers").asInt()).isEqualTo(2);
    assertThat(reply.body().at("/eventBus/consumers").asInt()).isEqualTo(1);
    assertThat(reply.body().at("/eventBus/healthy").asBoolean()).isTrue();
    assertThat(reply.body().at("/eventBus/lastFailure").isNull()).isTrue();
  }

  @Test
  void health_answers_503_once_a_fatal_error_stopped_a_bus() throws Exception {
    BankInfrastructure stopping = BankInfrastructure.inMemory();
    try (Bank started = Bank.create(stopping, new PasswordHasher(1_000)).start();
        BankHttpServer api = BankHttpServer.start(started, "127.0.0.1", 0)) {
      stopping
          .commandBus()
          .subscribe(
              "poisoned",
              Set.of("Poison"),
              1,
              command -> {
                throw new OutOfMemoryError("simulated in a handler");
              });
      stopping.commandBus().publish(Command.create(new Poison()));
      HttpRequest health = HttpRequest.newBuilder(api.uri().resolve("health")).build();

      Await.until(
          TIMEOUT,
          "the readiness check to fail with no command consumer left",
          () -> {
            HttpResponse<String> reply = send(health);
            return reply.statusCode() == 503 && reply.body().contains("\"consumers\":0");
          });
      JsonNode body = JSON.readTree(send(health).body());
      assertThat(body.get("status").asText()).isEqualTo("unavailable");
      assertThat(body.at("/commandBus/healthy").asBoolean()).isFalse();
      assertThat(body.at("/commandBus/consumers").asInt()).isZero();
      assertThat(body.at("/commandBus/lastFailure/fatal").asBoolean()).isTrue();
      assertThat(body.at("/commandBus/lastFailure/description").asText())
          .contains("OutOfMemoryError: simulated in a handler");
      assertThat(body.at("/eventBus/healthy").asBoolean()).isTrue();
    } finally {
      stopping.close();
    }
  }

  record Poison() {}

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void opening_an_account_answers_201_with_its_location_and_never_its_password() throws Exception {
    Reply reply =
        post(
            "/accounts",
            "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"Ada@Engine.example\","
                + "\"password\":\"$ecretPassw0rd\",\"initialBalance\":\"12.5\"}");

    assertThat(reply.status()).isEqualTo(201);
    String id = reply.body().get("id").asText();
    assertThat(reply.raw().headers().firstValue("Location")).contains("/accounts/" + id);
    assertThat(reply.body().get("email").asText()).isEqualTo("ada@engine.example");
    assertThat(reply.body().get("balance").decimalValue()).isEqualTo(new BigDecimal("12.50"));
    assertThat(reply.raw().body()).contains("\"balance\":12.50").doesNotContain("ecretPassw0rd");
    assertThat(get("/accounts/" + id).body()).isEqualTo(reply.body());
  }

  @Test
  void credits_debits_and_changes_answer_the_account_as_it_is_now() throws Exception {
    String id = open("Carl", "10.00");

    assertThat(
            post("/accounts/" + id + "/credit", "{\"amount\":5.25}")
                .body()
                .get("balance")
                .decimalValue())
        .isEqualTo(new BigDecimal("15.25"));
    assertThat(
            post("/accounts/" + id + "/debit", "{\"amount\":\"15.25\"}")
                .body()
                .get("balance")
                .decimalValue())
        .isEqualTo(new BigDecimal("0.00"));
    assertThat(
            post("/accounts/" + id + "/email", "{\"email\":\"carl@new.example\"}")
                .body()
                .get("email")
                .asText())
        .isEqualTo("carl@new.example");
    Reply password = post("/accounts/" + id + "/password", "{\"password\":\"an0ther$ecret\"}");
    assertThat(password.status()).isEqualTo(200);
    assertThat(password.raw().body()).doesNotContain("pbkdf2").doesNotContain("an0ther");
    assertThat(password.body().get("version").asLong()).isEqualTo(5);
  }

  @Test
  void the_history_lists_every_event_oldest_first_without_password_hashes() throws Exception {
    String id = open("Dora", "1.00");
    post("/accounts/" + id + "/credit", "{\"amount\":2}");
    post("/accounts/" + id + "/password", "{\"password\":\"an0ther$ecret\"}");

    Reply history = get("/accounts/" + id + "/history");

    assertThat(history.status()).isEqualTo(200);
    List<String> types = new ArrayList<>();
    history.body().forEach(event -> types.add(event.get("type").asText()));
    assertThat(types).containsExactly("AccountOpened", "AccountCredited", "PasswordChanged");
    assertThat(history.body().get(1).get("event").get("amount").decimalValue())
        .isEqualTo(new BigDecimal("2.00"));
    assertThat(history.body().get(0).get("event").get("passwordHash").asText())
        .isEqualTo("[redacted]");
    assertThat(history.raw().body()).doesNotContain("pbkdf2");
  }

  @Test
  void a_transfer_answers_202_and_completes_asynchronously() throws Exception {
    String from = open("Eve", "50.00");
    String to = open("Finn", "0.00");

    Reply reply =
        post(
            "/transfers",
            "{\"fromAccountId\":\"" + from + "\",\"toAccountId\":\"" + to + "\",\"amount\":20}");

    assertThat(reply.status()).isEqualTo(202);
    String transferId = reply.body().get("id").asText();
    assertThat(reply.raw().headers().firstValue("Location")).contains("/transfers/" + transferId);
    assertThat(awaitTransfer(transferId).get("state").asText()).isEqualTo("COMPLETED");
    assertThat(balance(from)).isEqualTo(new BigDecimal("30.00"));
    assertThat(balance(to)).isEqualTo(new BigDecimal("20.00"));
  }

  @Test
  void a_transfer_to_a_closed_account_fails_and_refunds_the_source() throws Exception {
    String from = open("Gus", "50.00");
    String to = open("Hal", "0.00");
    assertThat(post("/accounts/" + to + "/close", null).body().get("closed").asBoolean()).isTrue();

    Reply reply =
        post(
            "/transfers",
            "{\"fromAccountId\":\"" + from + "\",\"toAccountId\":\"" + to + "\",\"amount\":20}");
    JsonNode transfer = awaitTransfer(reply.body().get("id").asText());

    assertThat(transfer.get("state").asText()).isEqualTo("FAILED");
    assertThat(transfer.get("failureReason").asText())
        .isEqualTo("the destination account is closed");
    assertThat(balance(from)).isEqualTo(new BigDecimal("50.00"));
  }

  @Test
  void the_lists_come_from_the_read_models() throws Exception {
    String id = open("Ivy", "3.00");

    Await.until(
        TIMEOUT,
        "the accounts read model to show the new account",
        () -> {
          try {
            return get("/accounts").raw().body().contains(id);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    assertThat(get("/transfers").status()).isEqualTo(200);
  }

  @Test
  void bad_requests_answer_400_with_the_reason() throws Exception {
    String id = open("Jon", "10.00");
    String credit = "/accounts/" + id + "/credit";

    assertBadRequest(post(credit, "{\"amount\":"), "Malformed JSON");
    assertBadRequest(post(credit, "[1]"), "must be a JSON object with amount");
    assertBadRequest(post(credit, ""), "must be a JSON object with amount");
    assertBadRequest(post(credit, "{}"), "Missing field 'amount'");
    assertBadRequest(post(credit, "{\"amount\":1,\"ammount\":1}"), "Unknown field 'ammount'");
    assertBadRequest(post(credit, "{\"amount\":1,\"amount\":2}"), "Duplicate field 'amount'");
    assertBadRequest(post(credit, "{\"amount\":1} {\"amount\":1000}"), "Malformed JSON");
    assertBadRequest(post(credit, "{\"amount\":1}]"), "Malformed JSON");
    assertBadRequest(post(credit, "{\"amount\":true}"), "Field 'amount' must be a number");
    assertBadRequest(post(credit, "{\"amount\":\"ten\"}"), "Field 'amount' must be a number");
    assertBadRequest(post(credit, "{\"amount\":1.005}"), "at most two decimals");
    assertBadRequest(post(credit, "{\"amount\":-1}"), "amount must be positive");
    assertBadRequest(
        post("/accounts/" + id + "/email", "{\"email\":\"nowhere\"}"), "email must be");
    assertBadRequest(
        post("/accounts/" + id + "/close", "{\"force\":true}"),
        "Unknown field 'force'; expected none");
    assertBadRequest(post("/accounts/" + id + "/password", "{\"password\":\"short\"}"), "8 to 128");
    assertBadRequest(
        post("/accounts", "{\"firstName\":\"K\",\"lastName\":\"L\",\"email\":\"k@l.example\"}"),
        "Missing field 'password'");
    assertBadRequest(
        post(
            "/transfers",
            "{\"fromAccountId\":\"" + id + "\",\"toAccountId\":\"" + id + "\",\"amount\":1}"),
        "two different accounts");
    assertThat(balance(id)).isEqualTo(new BigDecimal("10.00"));
  }

  private static void assertBadRequest(Reply reply, String reason) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(400);
    assertThat(reply.message()).contains(reason);
  }

  @Test
  void unknown_accounts_transfers_and_paths_answer_404() throws Exception {
    String id = open("Kim", "10.00");

    assertNotFound(get("/accounts/nobody"), "Account 'nobody' does not exist");
    assertNotFound(get("/accounts/nobody/history"), "does not exist");
    assertNotFound(post("/accounts/nobody/credit", "{\"amount\":1}"), "does not exist");
    assertNotFound(get("/transfers/nothing"), "Transfer 'nothing' does not exist");
    assertNotFound(
        post(
            "/transfers",
            "{\"fromAccountId\":\"" + id + "\",\"toAccountId\":\"nobody\",\"amount\":1}"),
        "Account 'nobody' does not exist");
    assertNotFound(get("/nowhere"), "No such resource");
  }

  @Test
  void a_transfer_id_is_not_an_account() throws Exception {
    String from = open("Lee", "10.00");
    String to = open("Max", "0.00");
    String transferId =
        post(
                "/transfers",
                "{\"fromAccountId\":\"" + from + "\",\"toAccountId\":\"" + to + "\",\"amount\":1}")
            .body()
            .get("id")
            .asText();

    assertNotFound(get("/accounts/" + transferId), "does not exist");
    assertNotFound(get("/transfers/" + from), "does not exist");
  }

  private static void assertNotFound(Reply reply, String reason) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(404);
    assertThat(reply.message()).contains(reason);
  }

  @Test
  void a_wrong_method_answers_405_with_the_allowed_ones() throws Exception {
    Reply reply = send("DELETE", "/accounts", null);

    assertThat(reply.status()).isEqualTo(405);
    assertThat(reply.raw().headers().firstValue("Allow")).contains("GET, POST");
    assertThat(reply.error()).isEqualTo("method_not_allowed");
  }

  @Test
  void refusals_by_the_banks_rules_answer_409() throws Exception {
    String id = open("Ned", "10.00");

    Reply overdraw = post("/accounts/" + id + "/debit", "{\"amount\":10.01}");
    Reply closeWithMoney = post("/accounts/" + id + "/close", "{}");
    post("/accounts/" + id + "/debit", "{\"amount\":10}");
    post("/accounts/" + id + "/close", null);
    Reply creditClosed = post("/accounts/" + id + "/credit", "{\"amount\":1}");

    assertThat(overdraw.status()).isEqualTo(409);
    assertThat(overdraw.error()).isEqualTo("insufficient_funds");
    assertThat(overdraw.message()).contains("holds 10.00, cannot debit 10.01");
    assertThat(closeWithMoney.status()).isEqualTo(409);
    assertThat(closeWithMoney.error()).isEqualTo("account_not_empty");
    assertThat(creditClosed.status()).isEqualTo(409);
    assertThat(creditClosed.error()).isEqualTo("account_closed");
  }

  @Test
  void a_body_over_64_kib_answers_413() throws Exception {
    String id = open("Oli", "1.00");

    Reply reply =
        post("/accounts/" + id + "/credit", "{\"amount\":\"" + "1".repeat(70_000) + "\"}");

    assertThat(reply.status()).isEqualTo(413);
  }

  @Test
  void concurrent_writes_to_one_account_are_retried_and_all_succeed() throws Exception {
    String id = open("Pam", "0.00");
    List<CompletableFuture<HttpResponse<String>>> credits = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      credits.add(
          client.sendAsync(
              HttpRequest.newBuilder(server.uri().resolve("accounts/" + id + "/credit"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }

    for (CompletableFuture<HttpResponse<String>> credit : credits) {
      assertThat(credit.get().statusCode()).as(credit.get().body()).isEqualTo(200);
    }
    assertThat(balance(id)).isEqualTo(new BigDecimal("40.00"));
    assertThat(get("/accounts/" + id).body().get("version").asLong()).isEqualTo(41);
  }
}
