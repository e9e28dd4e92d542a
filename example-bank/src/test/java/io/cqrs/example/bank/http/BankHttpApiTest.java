package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.Command;
import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.http.ApiClient.Reply;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API over real HTTP, on a free port, with commands run in the request. */
class BankHttpApiTest {
  private static ServedBank served;
  private static BankInfrastructure infrastructure;
  private static Bank bank;
  private static BankHttpServer server;
  private static ApiClient alice;
  private static ApiClient bob;
  private static ApiClient root;
  private static ApiClient anonymous;

  @BeforeAll
  static void start() {
    served = ServedBank.inMemory();
    infrastructure = served.infrastructure();
    bank = served.bank();
    server = served.server();
    URI base = server.uri();
    alice = ApiClient.as("alice", base);
    bob = ApiClient.as("bob", base);
    root = ApiClient.as("root", base);
    anonymous = new ApiClient(alice.http(), base, null, null);
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  private static void assertProblem(Reply reply, int status, String code, String detail) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
    assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
    assertThat(reply.body().get("status").asInt()).isEqualTo(status);
    assertThat(reply.body().get("type").asText()).isEqualTo("urn:cqrs:bank:problem:" + code);
    assertThat(reply.code()).isEqualTo(code);
    assertThat(reply.detail()).contains(detail);
  }

  private static void assertInvalid(Reply reply, String field, String detail) {
    assertProblem(reply, 400, reply.body() == null ? "?" : reply.code(), detail);
    assertThat(reply.body().path("field").asText(null)).as(reply.raw().body()).isEqualTo(field);
  }

  @Test
  void health_is_liveness_and_ready_shows_the_consumers_relay_and_processors() throws Exception {
    Reply health = anonymous.get("/health");
    Reply ready = root.get("/ready");

    assertThat(health.status()).isEqualTo(200);
    assertThat(health.body().get("status").asText()).isEqualTo("up");
    assertThat(ready.status()).as(ready.raw().body()).isEqualTo(200);
    assertThat(ready.body().get("status").asText()).isEqualTo("ready");
    assertThat(ready.body().get("storeReachable").asBoolean()).isTrue();
    assertThat(ready.body().at("/commandBus/consumers").asInt()).isEqualTo(2);
    assertThat(ready.body().at("/eventBus/consumers").asInt()).isEqualTo(1);
    assertThat(ready.body().get("relay").isObject()).isTrue();
    assertThat(ready.body().get("processors").size()).isGreaterThan(0);
    assertThat(ready.body().get("processors").get(0).has("lag")).isTrue();
  }

  @Test
  void ready_shows_anyone_its_status_and_reasons_and_only_an_administrator_the_details()
      throws Exception {
    Reply anyone = anonymous.get("/ready");
    Reply customer = alice.get("/ready");

    for (Reply brief : List.of(anyone, customer)) {
      assertThat(brief.status()).isEqualTo(200);
      assertThat(brief.body().get("status").asText()).isEqualTo("ready");
      assertThat(brief.body().has("commandBus")).isFalse();
      assertThat(brief.body().has("processors")).isFalse();
      assertThat(brief.body().has("storeProblem")).isFalse();
    }
    assertThat(root.get("/ready").body().has("commandBus")).isTrue();
  }

  /**
   * A probe or monitor that sends credentials the server refuses (a rotated secret) must still
   * learn whether the instance is ready: were the sign-in throttle's 429 (or the checks' 503) its
   * answer, a load balancer would take a ready instance out.
   */
  @Test
  void ready_answers_with_the_brief_report_whatever_the_sign_in_throttle_says_of_its_credentials()
      throws Exception {
    // A refused credential is remembered: each attempt guesses anew, as the throttle counts.
    for (int i = 0; i <= ApiUsers.MAX_FAILURES_PER_MINUTE; i++) {
      Reply ready = new ApiClient(alice.http(), alice.base(), "prober", "guess-" + i).get("/ready");

      assertThat(ready.status()).as("attempt %d: %s", i, ready.raw().body()).isEqualTo(200);
      assertThat(ready.body().get("status").asText()).isEqualTo("ready");
      assertThat(ready.body().has("commandBus")).isFalse();
    }
    ApiClient guessing = new ApiClient(alice.http(), alice.base(), "prober", "guess-again");
    assertProblem(guessing.get("/accounts"), 429, "too_many_failures", "Too many failed sign-ins");
  }

  /**
   * {@code /ready} needs no credentials, so a repeated (or forged) {@code Authorization} header
   * must not fail the probe: such credentials are nobody's, and get the brief report, as on {@code
   * /health} and {@code /metrics}, which never read them. Every route that needs credentials
   * refuses them with one 400 problem naming the header, before any effect.
   */
  @Test
  void authorization_given_twice_is_nobodys_on_the_open_routes_and_refused_on_the_others()
      throws Exception {
    String id = alice.open("Twice", "1.00");
    Map<String, String> again = Map.of("Authorization", basic("root"));

    for (String open : List.of("/ready", "/health", "/metrics")) {
      assertThat(root.send("GET", open, null, again).status()).as(open).isEqualTo(200);
    }
    Reply ready = root.send("GET", "/ready", null, again);
    assertThat(ready.body().get("status").asText()).isEqualTo("ready");
    assertThat(ready.body().has("commandBus")).as("the details are an administrator's").isFalse();
    for (String[] route :
        List.of(
            new String[] {"GET", "/accounts", null},
            new String[] {"GET", "/accounts/" + id, null},
            new String[] {"POST", "/accounts/" + id + "/credit", "{\"amount\":1}"},
            new String[] {"GET", "/commands/" + id, null},
            new String[] {"GET", "/admin/dead-letters", null})) {
      Reply refused = root.send(route[0], route[1], route[2], again);
      assertInvalid(refused, "Authorization", "Authorization must be given at most once");
    }
    assertThat(alice.balance(id)).isEqualTo(new BigDecimal("1.00"));
  }

  @Test
  void ready_answers_503_with_the_reason_once_a_fatal_error_stopped_a_bus() throws Exception {
    BankInfrastructure stopping = BankInfrastructure.inMemory();
    try (Bank started = Bank.create(stopping, new PasswordHasher(1_000)).start();
        BankHttpServer api =
            BankHttpServer.start(
                started, BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users()))) {
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
      ApiClient probe = new ApiClient(alice.http(), api.uri(), null, null);

      Reply ready =
          Awaitility.await("the readiness check to fail with no command consumer left")
              .atMost(ApiClient.TIMEOUT)
              .until(() -> probe.get("/ready"), reply -> reply.status() == 503);
      ApiClient admin = ApiClient.as("root", api.uri());

      assertThat(ready.body().get("status").asText()).isEqualTo("not ready");
      assertThat(ready.body().get("reasons").toString()).contains("command bus: 0 consumers");
      // The failure's text is a detail: for administrators, never in the open answer.
      assertThat(ready.raw().body()).doesNotContain("OutOfMemoryError");
      assertThat(admin.get("/ready").body().at("/commandBus/lastFailure").asText())
          .contains("OutOfMemoryError: simulated in a handler");
      assertThat(probe.get("/health").status()).isEqualTo(200); // alive, just not ready
    } finally {
      stopping.close();
    }
  }

  record Poison() {}

  @Test
  void opening_an_account_answers_201_with_its_location_and_never_its_password() throws Exception {
    Reply reply =
        alice.post(
            "/accounts",
            "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"Ada@Engine.example\","
                + "\"password\":\"$ecretPassw0rd\",\"initialBalance\":\"12.5\"}");

    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(201);
    String id = reply.body().get("commandId").asText();
    assertThat(reply.header("Location")).isEqualTo("/accounts/" + id);
    assertThat(reply.body().get("status").asText()).isEqualTo("succeeded");
    assertThat(reply.body().get("version").asLong()).isEqualTo(1);
    assertThat(reply.body().at("/events/0/type").asText()).isEqualTo("AccountOpened");
    assertThat(reply.raw().body()).doesNotContain("ecretPassw0rd").doesNotContain("pbkdf2");
    JsonNode account = alice.awaitVersion("/accounts/" + id, 1);
    assertThat(account.get("email").asText()).isEqualTo("ada@engine.example");
    assertThat(account.get("balance").decimalValue()).isEqualTo(new BigDecimal("12.50"));
    assertThat(account.get("owner").asText()).isEqualTo("alice");
  }

  @Test
  void commands_answer_their_status_and_the_read_model_catches_up_to_its_version()
      throws Exception {
    String id = alice.open("Carl", "10.00");

    assertThat(
            alice
                .command("/accounts/" + id + "/credit", "{\"amount\":5.25}")
                .get("balance")
                .decimalValue())
        .isEqualTo(new BigDecimal("15.25"));
    assertThat(
            alice
                .command("/accounts/" + id + "/debit", "{\"amount\":\"15.25\"}")
                .get("balance")
                .decimalValue())
        .isEqualTo(new BigDecimal("0.00"));
    assertThat(
            alice
                .command("/accounts/" + id + "/email", "{\"email\":\"carl@new.example\"}")
                .get("email")
                .asText())
        .isEqualTo("carl@new.example");
    Reply password =
        alice.post("/accounts/" + id + "/password", "{\"password\":\"an0ther$ecret\"}");
    assertThat(password.status()).isEqualTo(200);
    assertThat(password.raw().body()).doesNotContain("pbkdf2").doesNotContain("an0ther");
    assertThat(password.body().get("version").asLong()).isEqualTo(5);
    Reply status = alice.get(password.header("Content-Location"));
    assertThat(status.body().get("status").asText()).isEqualTo("succeeded");
    assertThat(status.body().get("version").asLong()).isEqualTo(5);
  }

  @Test
  void the_history_lists_every_event_oldest_first_without_password_hashes() throws Exception {
    String id = alice.open("Dora", "1.00");
    alice.post("/accounts/" + id + "/credit", "{\"amount\":2}");
    alice.post("/accounts/" + id + "/password", "{\"password\":\"an0ther$ecret\"}");

    Reply history = alice.get("/accounts/" + id + "/history");

    assertThat(history.status()).isEqualTo(200);
    List<String> types = new ArrayList<>();
    history.body().get("items").forEach(event -> types.add(event.get("type").asText()));
    assertThat(types).containsExactly("AccountOpened", "AccountCredited", "PasswordChanged");
    assertThat(history.body().has("next")).isFalse();
    assertThat(history.body().get("items").get(0).get("event").get("passwordHash").asText())
        .isEqualTo("[redacted]");
    assertThat(history.raw().body()).doesNotContain("pbkdf2");
  }

  @Test
  void a_transfer_answers_202_and_completes_asynchronously() throws Exception {
    String from = alice.open("Eve", "50.00");
    String to = bob.open("Finn", "0.00");

    Reply reply = alice.transfer(from, to, "20");

    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(202);
    String transferId = reply.body().get("commandId").asText();
    assertThat(reply.header("Location")).isEqualTo("/transfers/" + transferId);
    JsonNode transfer = awaitFinal(alice, transferId);
    assertThat(transfer.get("state").asText()).isEqualTo("COMPLETED");
    // Both owners see the transfer; a third user would not.
    assertThat(bob.get("/transfers/" + transferId).status()).isEqualTo(200);
    Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .untilAsserted(() -> assertThat(alice.balance(from)).isEqualTo(new BigDecimal("30.00")));
    Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .untilAsserted(() -> assertThat(bob.balance(to)).isEqualTo(new BigDecimal("20.00")));
  }

  private static JsonNode awaitFinal(ApiClient client, String transferId) {
    return Awaitility.await("transfer " + transferId + " to finish")
        .atMost(ApiClient.TIMEOUT)
        .ignoreExceptions()
        .until(
            () -> client.get("/transfers/" + transferId).body(),
            body -> Set.of("COMPLETED", "FAILED").contains(body.get("state").asText()));
  }

  @Test
  void customers_see_their_own_accounts_and_administrators_see_all() throws Exception {
    String own = alice.open("Ivy", "3.00");
    String other = bob.open("Jay", "3.00");

    String alices = alice.get("/accounts").raw().body();
    String all = root.get("/accounts").raw().body();

    assertThat(alices).contains(own).doesNotContain(other);
    assertThat(all).contains(own).contains(other);
    assertThat(root.get("/transfers").status()).isEqualTo(200);
  }

  @Test
  void without_valid_credentials_every_route_but_health_ready_and_metrics_answers_401()
      throws Exception {
    String id = alice.open("Kai", "1.00");
    ApiClient wrongSecret = new ApiClient(alice.http(), server.uri(), "alice", "not-her-secret");
    ApiClient unknownUser = new ApiClient(alice.http(), server.uri(), "mallory", "whatever-1");

    List<String[]> routes =
        List.of(
            new String[] {"POST", "/accounts", "{}"},
            new String[] {"GET", "/accounts", null},
            new String[] {"GET", "/accounts/" + id, null},
            new String[] {"GET", "/accounts/" + id + "/history", null},
            new String[] {"POST", "/accounts/" + id + "/credit", "{\"amount\":1}"},
            new String[] {"POST", "/accounts/" + id + "/debit", "{\"amount\":1}"},
            new String[] {"POST", "/accounts/" + id + "/email", "{\"email\":\"x@y.example\"}"},
            new String[] {"POST", "/accounts/" + id + "/password", "{\"password\":\"12345678\"}"},
            new String[] {"POST", "/accounts/" + id + "/close", null},
            new String[] {"POST", "/transfers", "{}"},
            new String[] {"GET", "/transfers", null},
            new String[] {"GET", "/transfers/" + id, null},
            new String[] {"GET", "/commands/" + id, null});
    for (ApiClient client : List.of(anonymous, wrongSecret, unknownUser)) {
      for (String[] route : routes) {
        Reply reply = client.send(route[0], route[1], route[2], Map.of());
        assertProblem(reply, 401, "unauthorized", "HTTP Basic");
        assertThat(reply.header("WWW-Authenticate")).startsWith("Basic realm=");
      }
    }
    assertThat(anonymous.get("/metrics").status()).isEqualTo(200);
    assertThat(alice.balance(id)).isEqualTo(new BigDecimal("1.00"));
  }

  @Test
  void another_owners_account_answers_403_and_is_left_unchanged() throws Exception {
    String id = alice.open("Lou", "10.00");
    Reply credit = alice.post("/accounts/" + id + "/credit", "{\"amount\":1}");
    String theirs = bob.open("Mo", "0.00");

    assertProblem(bob.get("/accounts/" + id), 403, "forbidden", "belongs to another user");
    assertProblem(bob.get("/accounts/" + id + "/history"), 403, "forbidden", "another user");
    assertProblem(
        bob.post("/accounts/" + id + "/debit", "{\"amount\":1}"), 403, "forbidden", "another");
    assertProblem(bob.post("/accounts/" + id + "/close", null), 403, "forbidden", "another");
    assertProblem(
        bob.post("/accounts/" + id + "/credit", "{\"amount\":1}"), 403, "forbidden", "another");
    assertProblem(
        bob.post("/accounts/" + id + "/email", "{\"email\":\"bob@x.example\"}"),
        403,
        "forbidden",
        "another");
    assertProblem(
        bob.post("/accounts/" + id + "/password", "{\"password\":\"bobs-password\"}"),
        403,
        "forbidden",
        "another");
    assertProblem(bob.transfer(id, theirs, "5"), 403, "forbidden", "another");
    assertProblem(bob.get(credit.header("Content-Location")), 403, "forbidden", "another user");
    assertThat(root.get("/accounts/" + id).status()).isEqualTo(200);
    assertThat(alice.awaitVersion("/accounts/" + id, 2).get("balance").decimalValue())
        .isEqualTo(new BigDecimal("11.00"));
    assertThat(bank.repository().store().version(id)).isEqualTo(2);
  }

  @Test
  void one_post_retried_five_times_with_one_idempotency_key_has_one_effect() throws Exception {
    String id = alice.open("Ned", "0.00");
    List<Reply> replies = new ArrayList<>();
    List<Reply> opens = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      replies.add(alice.post("/accounts/" + id + "/credit", "{\"amount\":7}", "credit-7"));
      opens.add(
          alice.post(
              "/accounts",
              "{\"firstName\":\"Once\",\"lastName\":\"Only\",\"email\":\"once@cqrs.example\","
                  + "\"password\":\"$ecretPassw0rd\"}",
              "open-once"));
    }

    assertThat(replies).extracting(Reply::status).containsOnly(200);
    assertThat(replies)
        .extracting(reply -> reply.body().get("commandId").asText())
        .containsOnly(replies.get(0).body().get("commandId").asText());
    assertThat(replies).extracting(reply -> reply.body().get("version").asLong()).containsOnly(2L);
    assertThat(bank.repository().store().version(id)).isEqualTo(2);
    assertThat(alice.awaitVersion("/accounts/" + id, 2).get("balance").decimalValue())
        .isEqualTo(new BigDecimal("7.00"));
    assertThat(opens).extracting(Reply::status).containsOnly(201);
    String opened = opens.get(0).body().get("commandId").asText();
    assertThat(opens)
        .extracting(reply -> reply.header("Location"))
        .containsOnly("/accounts/" + opened);
    assertThat(bank.repository().store().version(opened)).isEqualTo(1);
    // The same key from another user, or on another route, is another command.
    Reply bobs =
        bob.post(
            "/accounts",
            "{\"firstName\":\"B\",\"lastName\":\"B\",\"email\":\"b@cqrs.example\",\"password\":\"$ecretPassw0rd\"}",
            "open-once");
    assertThat(bobs.body().get("commandId").asText()).isNotEqualTo(opened);
  }

  @Test
  void one_key_sent_by_eight_racing_requests_has_one_effect() throws Exception {
    String id = alice.open("Raz", "0.00");
    List<CompletableFuture<HttpResponse<String>>> racing = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      racing.add(
          alice
              .http()
              .sendAsync(
                  HttpRequest.newBuilder(server.uri().resolve("accounts/" + id + "/credit"))
                      .header("Content-Type", "application/json")
                      .header("Authorization", basic("alice"))
                      .header("Idempotency-Key", "race-1")
                      .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":2}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }

    for (CompletableFuture<HttpResponse<String>> reply : racing) {
      assertThat(reply.get().statusCode()).as(reply.get().body()).isEqualTo(200);
    }
    assertThat(bank.repository().store().version(id)).isEqualTo(2);
    assertThat(alice.awaitVersion("/accounts/" + id, 2).get("balance").decimalValue())
        .isEqualTo(new BigDecimal("2.00"));
  }

  @Test
  void a_key_reused_for_another_request_is_refused_and_changes_nothing() throws Exception {
    String id = alice.open("Ray", "0.00");
    Reply first = alice.post("/accounts/" + id + "/credit", "{\"amount\":1}", "key-1");

    Reply reordered =
        alice.send(
            "POST",
            "/accounts/" + id + "/credit",
            "{ \"amount\" : 1 }",
            Map.of("Idempotency-Key", "key-1"));
    Reply other = alice.post("/accounts/" + id + "/credit", "{\"amount\":1000}", "key-1");

    assertThat(first.status()).isEqualTo(200);
    assertThat(reordered.status()).as("the same request, spaced otherwise").isEqualTo(200);
    assertProblem(other, 422, "idempotency_key_reused", "another request");
    assertThat(other.body().get("field").asText()).isEqualTo("Idempotency-Key");
    assertThat(bank.repository().store().version(id)).isEqualTo(2);
  }

  @Test
  void one_key_on_the_same_path_written_otherwise_is_one_command() throws Exception {
    String id = alice.open("Sid", "0.00");

    Reply plain = alice.post("/accounts/" + id + "/credit", "{\"amount\":3}", "k");
    Reply slash = alice.post("/accounts/" + id + "/credit/", "{\"amount\":3}", "k");
    Reply encoded =
        alice.post(
            "/accounts/%" + Integer.toHexString(id.charAt(0)) + id.substring(1) + "/credit",
            "{\"amount\":3}",
            "k");

    for (Reply reply : List.of(plain, slash, encoded)) {
      assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
      assertThat(reply.body().get("commandId").asText())
          .isEqualTo(plain.body().get("commandId").asText());
    }
    assertThat(bank.repository().store().version(id)).isEqualTo(2);
  }

  @Test
  void a_failed_transfers_reason_shows_no_amounts_to_customers() throws Exception {
    String from = alice.open("Tom", "5.00");
    String to = bob.open("Ugo", "0.00");
    String transferId = alice.transfer(from, to, "7").body().get("commandId").asText();

    JsonNode failed = awaitFinal(root, transferId);
    JsonNode seenByBob = bob.get("/transfers/" + transferId).body();
    Reply seenByMallory = ApiClient.as("root", server.uri()).get("/transfers/" + transferId);

    assertThat(failed.get("state").asText()).isEqualTo("FAILED");
    assertThat(failed.get("reason").asText()).contains("5.00");
    assertThat(seenByBob.get("reason").asText()).doesNotContainPattern("[0-9]");
    assertThat(alice.get("/transfers/" + transferId).body().get("reason").asText())
        .doesNotContainPattern("[0-9]");
    assertThat(seenByMallory.status()).isEqualTo(200);
  }

  @Test
  void a_hidden_amount_reveals_not_even_its_number_of_digits() throws Exception {
    String small = alice.open("Xia", "5.00");
    String large = alice.open("Yan", "12345.67");
    String to = bob.open("Zoe", "0.00");

    String fromSmall = alice.transfer(small, to, "99999").body().get("commandId").asText();
    String fromLarge = alice.transfer(large, to, "99999").body().get("commandId").asText();
    awaitFinal(root, fromSmall);
    awaitFinal(root, fromLarge);
    String seenSmall = bob.get("/transfers/" + fromSmall).body().get("reason").asText();
    String seenLarge = bob.get("/transfers/" + fromLarge).body().get("reason").asText();

    assertThat(root.get("/transfers/" + fromLarge).body().get("reason").asText())
        .contains("12345.67");
    assertThat(seenSmall).isEqualTo(seenLarge).contains(BankApi.HIDDEN_AMOUNT);
    assertThat(seenLarge).doesNotContainPattern("[0-9]");
  }

  @Test
  void a_state_changing_request_a_form_of_another_site_could_send_is_refused() throws Exception {
    String id = alice.open("Cy", "0.00");
    String close = "/accounts/" + id + "/close";

    // What a form can send, with the credentials a browser cached for this origin.
    for (String type :
        List.of(
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain")) {
      assertProblem(
          alice.send("POST", close, "", Map.of("Content-Type", type)),
          415,
          "unsupported_media_type",
          "application/json");
      assertProblem(
          root.send(
              "POST",
              "/admin/dead-letters/queues/commands/" + Bank.COMMAND_SERVICE + "/replay",
              "",
              Map.of("Content-Type", type)),
          415,
          "unsupported_media_type",
          "X-Requested-With");
    }
    assertProblem(bodiless(close, Map.of()), 415, "unsupported_media_type", "application/json");
    assertThat(bank.repository().store().version(id)).isEqualTo(1);
    // A page of this origin (the console) marks its requests; a JSON client says application/json.
    assertThat(bodiless(close, Map.of(Console.REQUESTED_WITH, "cqrs-console")).status())
        .isEqualTo(200);
    assertThat(alice.post(close, null).status()).isEqualTo(200);
  }

  /** A POST with no body and no content type, with alice's credentials and {@code headers}. */
  private static Reply bodiless(String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri().resolve(path.substring(1)))
            .header("Authorization", basic("alice"))
            .POST(HttpRequest.BodyPublishers.noBody());
    headers.forEach(request::header);
    HttpResponse<String> response =
        alice.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(
        response.statusCode(),
        response.body().isEmpty() ? null : ApiClient.JSON.readTree(response.body()),
        response);
  }

  @Test
  void a_transfer_between_other_users_accounts_answers_403() throws Exception {
    String from = alice.open("Vic", "5.00");
    String to = alice.open("Wes", "0.00");
    String transferId = alice.transfer(from, to, "1").body().get("commandId").asText();
    awaitFinal(alice, transferId);

    assertProblem(bob.get("/transfers/" + transferId), 403, "forbidden", "other users");
    assertThat(bob.get("/transfers").raw().body()).doesNotContain(transferId);
  }

  @Test
  void a_retried_rejected_command_is_rejected_again_without_running_again() throws Exception {
    String id = alice.open("Ola", "1.00");

    Reply first = alice.post("/accounts/" + id + "/debit", "{\"amount\":5}", "overdraw");
    Reply again = alice.post("/accounts/" + id + "/debit", "{\"amount\":5}", "overdraw");

    alice.command("/accounts/" + id + "/credit", "{\"amount\":10}");
    Reply afterCredit = alice.post("/accounts/" + id + "/debit", "{\"amount\":5}", "overdraw");

    assertProblem(first, 409, "insufficient_funds", "cannot debit 5.00");
    assertProblem(again, 409, "insufficient_funds", "cannot debit 5.00");
    // The balance would now allow it, but the retry is the same command: rejected, not run.
    assertProblem(afterCredit, 409, "insufficient_funds", "cannot debit 5.00");
    String commandId =
        UUID.nameUUIDFromBytes(
                ("alice\ndebit:" + id + "\noverdraw").getBytes(StandardCharsets.UTF_8))
            .toString();
    long failures =
        bank.service().eventsOfCorrelation(commandId).stream()
            .filter(event -> event.event() instanceof CommandFailed)
            .count();
    assertThat(failures).isEqualTo(1);
    assertThat(alice.awaitVersion("/accounts/" + id, 2).get("balance").decimalValue())
        .isEqualTo(new BigDecimal("11.00"));
  }

  @Test
  void bad_requests_answer_400_problems_naming_the_field_before_any_command() throws Exception {
    String id = alice.open("Pia", "10.00");
    String credit = "/accounts/" + id + "/credit";

    assertInvalid(alice.post(credit, "{\"amount\":"), null, "Malformed JSON");
    assertInvalid(alice.post(credit, "[1]"), null, "must be a JSON object with amount");
    assertInvalid(alice.post(credit, "{}"), "amount", "Missing field 'amount'");
    assertInvalid(
        alice.post(credit, "{\"amount\":1,\"ammount\":1}"), "ammount", "Unknown field 'ammount'");
    assertInvalid(
        alice.post(credit, "{\"amount\":1,\"amount\":2}"), null, "Duplicate field 'amount'");
    assertInvalid(alice.post(credit, "{\"amount\":1} {\"amount\":1000}"), null, "Malformed JSON");
    assertInvalid(alice.post(credit, "{\"amount\":1}]"), null, "Malformed JSON");
    assertInvalid(alice.post(credit, "{\"amount\":1} x"), null, "Malformed JSON");
    assertInvalid(alice.post(credit, "{\"amount\":true}"), "amount", "must be a number");
    assertInvalid(alice.post(credit, "{\"amount\":\"ten\"}"), "amount", "must be a number");
    assertInvalid(alice.post(credit, "{\"amount\":1.005}"), "amount", "at most two decimals");
    assertInvalid(alice.post(credit, "{\"amount\":-1}"), "amount", "must be positive");
    assertInvalid(alice.post(credit, "{\"amount\":1E-10000000}"), "amount", "at most two decimals");
    assertInvalid(
        alice.post(credit, "{\"amount\":\"1E-999999999\"}"), "amount", "at most two decimals");
    assertInvalid(alice.post(credit, "{\"amount\":1E+999999999}"), "amount", "must not exceed");
    assertInvalid(alice.post(credit, "{\"amount\":10000000000000}"), "amount", "must not exceed");
    assertInvalid(
        alice.post(credit, "{\"amount\":" + "1".repeat(5000) + "}"), null, "Malformed JSON");
    assertInvalid(
        alice.post("/accounts/" + id + "/email", "{\"email\":\"a\\ud800@b.example\"}"),
        "email",
        "not valid Unicode");
    assertInvalid(
        alice.post("/accounts/" + id + "/email", "{\"email\":\"a\\u0000@b.example\"}"),
        "email",
        "control");
    // An invisible tag character (U+E0041), written as a surrogate pair.
    assertInvalid(
        alice.post("/accounts/" + id + "/email", "{\"email\":\"a\\udb40\\udc41@b.example\"}"),
        "email",
        "formatting");
    assertInvalid(
        alice.post(
            "/accounts",
            "{\"firstName\":\"Eve\\nWARN forged line\",\"lastName\":\"L\",\"email\":\"k@l.example\",\"password\":\"$ecretPassw0rd\"}"),
        "firstName",
        "control");
    assertInvalid(
        alice.post("/accounts/" + id + "/close", "{\"force\":true}"), "force", "expected none");
    assertInvalid(alice.transfer(id, "a b", "1"), "toAccountId", "must be 1 to 100 letters");
    assertInvalid(alice.get("/accounts/" + "x".repeat(101)), "id", "must be 1 to 100");
    assertInvalid(
        alice.post(credit, "{\"amount\":1}", "bad key"), "Idempotency-Key", "visible ASCII");
    assertProblem(
        alice.send("POST", credit, "amount=1", Map.of("Content-Type", "text/plain")),
        415,
        "unsupported_media_type",
        "application/json");
    assertThat(bank.repository().store().version(id)).isEqualTo(1);
    assertThat(bank.service().eventsOfCorrelation(id)).hasSize(1); // its AccountOpened
  }

  @Test
  void raw_invalid_utf8_and_cesu_surrogates_answer_400() throws Exception {
    String id = alice.open("Quin", "1.00");
    byte[] lone = "{\"email\":\"a_@b.example\"}".getBytes(StandardCharsets.UTF_8);
    byte[] cesu = new byte[lone.length + 2];
    int at = new String(lone, StandardCharsets.UTF_8).indexOf('_');
    System.arraycopy(lone, 0, cesu, 0, at);
    cesu[at] = (byte) 0xED; // U+D800 encoded as if it were a character
    cesu[at + 1] = (byte) 0xA0;
    cesu[at + 2] = (byte) 0x80;
    System.arraycopy(lone, at + 1, cesu, at + 3, lone.length - at - 1);
    byte[] invalid = lone.clone();
    invalid[at] = (byte) 0xFF;

    for (byte[] body : List.of(cesu, invalid)) {
      HttpResponse<String> reply =
          alice
              .http()
              .send(
                  HttpRequest.newBuilder(server.uri().resolve("accounts/" + id + "/email"))
                      .header("Content-Type", "application/json")
                      .header("Authorization", basic("alice"))
                      .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(reply.statusCode()).as(reply.body()).isEqualTo(400);
    }
    assertThat(bank.repository().store().version(id)).isEqualTo(1);
  }

  private static String basic(String user) {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString(
                (user + ":" + ApiClient.SECRETS.get(user)).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void a_domain_error_quoting_a_huge_input_is_recorded_in_at_most_a_kilobyte() throws Exception {
    String id = alice.open("Rae", "1.00");
    Command hostile = Command.create(new CreditAccount(id, new BigDecimal("1E-10000000")));

    try {
      bank.service().execute(hostile);
    } catch (IllegalArgumentException expected) {
      // the domain refuses it; what matters is what it recorded
    }

    List<VersionedEvent> recorded = bank.service().eventsOfCorrelation(hostile.correlationId());
    assertThat(recorded).hasSize(1);
    CommandFailed failed = (CommandFailed) recorded.get(0).event();
    assertThat(failed.message()).contains("at most two decimals");
    assertThat(failed.message().length()).isLessThanOrEqualTo(1_100);
  }

  @Test
  void unknown_accounts_transfers_and_paths_answer_404_problems() throws Exception {
    assertProblem(root.get("/accounts/nobody"), 404, "not_found", "No account 'nobody'");
    assertProblem(root.get("/accounts/nobody/history"), 404, "not_found", "does not exist");
    assertProblem(
        root.post("/accounts/nobody/credit", "{\"amount\":1}"), 404, "not_found", "does not exist");
    assertProblem(root.get("/transfers/nothing"), 404, "not_found", "No transfer 'nothing'");
    assertProblem(root.get("/nowhere"), 404, "not_found", "not found");
  }

  @Test
  void a_wrong_method_answers_405() throws Exception {
    assertProblem(
        root.send("DELETE", "/accounts", null, Map.of()), 405, "method_not_allowed", "DELETE");
  }

  @Test
  void refusals_by_the_banks_rules_answer_409() throws Exception {
    String id = alice.open("Sam", "10.00");

    Reply overdraw = alice.post("/accounts/" + id + "/debit", "{\"amount\":10.01}");
    Reply closeWithMoney = alice.post("/accounts/" + id + "/close", "{}");
    alice.post("/accounts/" + id + "/debit", "{\"amount\":10}");
    alice.post("/accounts/" + id + "/close", null);
    Reply creditClosed = alice.post("/accounts/" + id + "/credit", "{\"amount\":1}");

    assertProblem(overdraw, 409, "insufficient_funds", "holds 10.00, cannot debit 10.01");
    assertProblem(closeWithMoney, 409, "account_not_empty", "");
    assertProblem(creditClosed, 409, "account_closed", "");
  }

  @Test
  void a_body_over_64_kib_answers_413() throws Exception {
    String id = alice.open("Tia", "1.00");

    Reply reply =
        alice.post("/accounts/" + id + "/credit", "{\"amount\":\"" + "1".repeat(70_000) + "\"}");

    assertThat(reply.status()).isEqualTo(413);
    assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
  }

  @Test
  void concurrent_writes_to_one_account_are_retried_and_all_succeed() throws Exception {
    String id = alice.open("Uma", "0.00");
    int writes = ApiUsers.MAX_REQUESTS_PER_USER; // as many as one user may have in hand
    List<CompletableFuture<HttpResponse<String>>> credits = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      credits.add(
          alice
              .http()
              .sendAsync(
                  HttpRequest.newBuilder(server.uri().resolve("accounts/" + id + "/credit"))
                      .header("Content-Type", "application/json")
                      .header("Authorization", basic("alice"))
                      .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }

    for (CompletableFuture<HttpResponse<String>> credit : credits) {
      assertThat(credit.get().statusCode()).as(credit.get().body()).isEqualTo(200);
    }
    assertThat(alice.awaitVersion("/accounts/" + id, writes + 1).get("balance").decimalValue())
        .isEqualTo(new BigDecimal(writes + ".00"));
  }
}
