package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.example.bank.http.ApiClient.Reply;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an adversarial run against the service found (2026-12-06), each request as it was sent: the
 * answer is a 400 that names what is wrong, echoes nothing a reader or a log could be fooled by,
 * and names none of the server's libraries; a request the server could read one way and a proxy
 * another is refused; a request the account would refuse costs no password hash.
 */
class HostileRequestsTest {
  /** Characters that must never come back as they were sent. */
  private static final List<String> HIDDEN =
      List.of("\u0001", "\u007f", "\u0085", "\u2028", "\u2029", "\u200b", "\u202e", "\ufeff");

  private static ServedBank served;
  private static ApiClient alice;
  private static ApiClient root;
  private static String account;

  @BeforeAll
  static void start() throws Exception {
    served = ServedBank.inMemory();
    alice = ApiClient.as("alice", served.uri());
    root = ApiClient.as("root", served.uri());
    account = alice.open("Hostile", "1.00");
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  private static void assertShownPlainly(Reply reply) {
    String body = reply.raw().body();
    for (String hidden : HIDDEN) {
      assertThat(body).as("U+%04X echoed", (int) hidden.charAt(0)).doesNotContain(hidden);
    }
    // Jackson's messages name its settings and quote the source; none of that goes back.
    assertThat(body)
        .doesNotContain("JsonReadFeature")
        .doesNotContain("StreamReadConstraints")
        .doesNotContain("StreamReadFeature")
        .doesNotContain("REDACTED")
        .doesNotContain("java.math");
  }

  @Test
  void malformed_json_says_where_and_echoes_nothing_of_the_body() throws Exception {
    for (String body :
        List.of(
            "{\"amount\":x\u0001\u0002\u007f\u0085y}",
            "{\"amount\":tru\u202ee}",
            "{\"amount\":NaN}",
            "{\"amount\":1",
            "{\"amount\":" + "[".repeat(30) + "1" + "]".repeat(30) + "}",
            "{\"amount\":" + "9".repeat(2000) + "}")) {
      Reply reply = alice.post("/accounts/" + account + "/credit", body);

      assertThat(reply.status()).as(body).isEqualTo(400);
      assertThat(reply.code()).isEqualTo("bad_request");
      assertThat(reply.detail())
          .matches(
              "Malformed JSON(: nested too deeply, or a number or text too long)?( at line .*)?");
      assertShownPlainly(reply);
    }
    assertThat(alice.post("/accounts/" + account + "/credit", "{\"amount\":x}").detail())
        .isEqualTo("Malformed JSON at line 1, column 11");
  }

  @Test
  void a_number_beyond_any_exponent_is_a_bad_request_not_an_echo_of_the_parser() throws Exception {
    for (String number : List.of("1e99999999999", "-1e99999999999", "1e2147483648")) {
      Reply reply = alice.post("/accounts/" + account + "/credit", "{\"amount\":" + number + "}");

      assertThat(reply.status()).as(number).isEqualTo(400);
      assertThat(reply.detail()).isEqualTo("The request body holds a number out of range");
      assertShownPlainly(reply);
    }
  }

  @Test
  void invisible_and_reordering_characters_in_a_field_name_or_path_come_back_as_question_marks()
      throws Exception {
    Reply unknown =
        alice.post("/accounts/" + account + "/credit", "{\"a\u2028\u200b\u202e\u0085<b>\":1}");

    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.body().get("field").asText()).isEqualTo("a????<b>");
    assertShownPlainly(unknown);

    Reply bus =
        root.post("/admin/dead-letters/queues/%3Cscript%3E%E2%80%AE%C2%85x/bank/replay", null);
    assertThat(bus.status()).isEqualTo(400);
    assertThat(bus.body().get("field").asText()).isEqualTo("bus");
    assertShownPlainly(bus);
  }

  @Test
  void a_problems_instance_is_bounded_and_every_status_has_its_title() throws Exception {
    Reply longPath = alice.get("/accounts/" + "a".repeat(5_000));

    assertThat(longPath.status()).isIn(400, 404);
    assertThat(longPath.body().get("instance").asText()).hasSizeLessThanOrEqualTo(203);
    Reply conflicting =
        alice.post("/accounts/" + account + "/credit", "{\"amount\":1}", "key-" + account);
    assertThat(conflicting.status()).isLessThan(300);
    Reply reused =
        alice.post("/accounts/" + account + "/credit", "{\"amount\":2}", "key-" + account);
    assertThat(reused.status()).isEqualTo(422);
    assertThat(reused.body().get("title").asText()).isEqualTo("Unprocessable Content");
  }

  @Test
  void a_body_that_is_not_well_formed_utf8_is_refused_before_the_parser_reads_it()
      throws Exception {
    String alices = basic("alice", ApiClient.SECRETS.get("alice"));
    // Overlong forms of '1' (C0 B1) and of '/' (C0 AF), an encoded surrogate (ED A0 80), a code
    // point past U+10FFFF (F4 90 80 80), a truncated sequence, a UTF-16 body with its BOM.
    List<byte[]> bodies =
        List.of(
            bytes("{\"amount\":\"", 0xC0, 0xB1, '"', '}'),
            bytes("{\"am", 0xC0, 0xAF, 'o', 'u', 'n', 't', '"', ':', '1', '}'),
            bytes("{\"amount\":1,\"x\":\"", 0xED, 0xA0, 0x80, '"', '}'),
            bytes("{\"amount\":1,\"x\":\"", 0xF4, 0x90, 0x80, 0x80, '"', '}'),
            bytes("{\"amount\":1,\"x\":\"", 0xE2, 0x82),
            "{\"amount\":1}".getBytes(StandardCharsets.UTF_16));
    for (byte[] body : bodies) {
      HttpResponse<String> refused =
          send(
              HttpRequest.newBuilder(uri("/accounts/" + account + "/credit"))
                  .header("Authorization", alices)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

      // The credit is handled before its answer: a 400 is a credit not made.
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
      assertThat(refused.body()).contains("The request body is not well-formed UTF-8 (at byte ");
    }
    // A byte order mark in UTF-8 is well-formed, and so is any character spelled in UTF-8.
    assertThat(
            send(HttpRequest.newBuilder(uri("/accounts/" + account + "/credit"))
                    .header("Authorization", alices)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofByteArray(
                            bytes(
                                "", 0xEF, 0xBB, 0xBF, '{', '"', 'a', 'm', 'o', 'u', 'n', 't', '"',
                                ':', '1', '}'))))
                .statusCode())
        .isEqualTo(200);
  }

  /** The bytes of {@code text} in UTF-8, then {@code more}, each the low 8 bits of an int. */
  private static byte[] bytes(String text, int... more) {
    byte[] start = text.getBytes(StandardCharsets.UTF_8);
    byte[] all = java.util.Arrays.copyOf(start, start.length + more.length);
    for (int i = 0; i < more.length; i++) {
      all[start.length + i] = (byte) more[i];
    }
    return all;
  }

  @Test
  void a_customer_may_hold_at_most_a_hundred_accounts_and_a_retried_opening_still_gets_its_answer()
      throws Exception {
    ApiClient bob = ApiClient.as("bob", served.uri());
    String opening =
        "{\"firstName\":\"Bob\",\"lastName\":\"Many\",\"email\":\"bob@cqrs.example\","
            + "\"password\":\"$ecretPassw0rd\"}";
    Reply first = bob.post("/accounts", opening, "bobs-first");
    assertThat(first.status()).as(first.raw().body()).isEqualTo(201);
    // The rest of Bob's hundred and of root's, opened by command: no password hash each.
    String hash = new io.cqrs.example.bank.domain.PasswordHasher(1_000).hash("$ecretPassw0rd");
    for (String owner : List.of("bob", "root")) {
      int count = owner.equals("bob") ? BankApi.MAX_ACCOUNTS_PER_CUSTOMER - 1 : 100;
      for (int i = 0; i < count; i++) {
        served
            .bank()
            .cqrs()
            .commandBus()
            .publish(
                io.cqrs.Command.create(
                    new io.cqrs.example.bank.domain.AccountCommand.OpenAccount(
                        owner + "-many-" + i,
                        "Many",
                        "Accounts",
                        owner + "@cqrs.example",
                        hash,
                        BigDecimal.ZERO,
                        owner)));
      }
    }
    org.awaitility.Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .until(
            () ->
                served.bank().accounts().idsOwnedBy("bob").size()
                        == BankApi.MAX_ACCOUNTS_PER_CUSTOMER
                    && served.bank().accounts().idsOwnedBy("root").size() >= 100);

    Reply refused = bob.post("/accounts", opening, "bobs-one-too-many");

    assertThat(refused.status()).as(refused.raw().body()).isEqualTo(409);
    assertThat(refused.detail()).isEqualTo("A customer may hold at most 100 accounts");
    assertThat(served.bank().accounts().idsOwnedBy("bob")).hasSize(100);
    // A retry of an opening that took effect is answered with its outcome, not refused.
    Reply retried = bob.post("/accounts", opening, "bobs-first");
    assertThat(retried.status()).as(retried.raw().body()).isEqualTo(201);
    assertThat(retried.body().get("commandId").asText())
        .isEqualTo(first.body().get("commandId").asText());
    // An administrator is not a customer.
    assertThat(root.post("/accounts", opening).status()).isEqualTo(201);
  }

  @Test
  void credentials_or_an_idempotency_key_given_twice_are_refused() throws Exception {
    String alices = basic("alice", ApiClient.SECRETS.get("alice"));
    String bobs = basic("bob", ApiClient.SECRETS.get("bob"));
    HttpResponse<String> twoUsers =
        send(
            HttpRequest.newBuilder(uri("/accounts"))
                .header("Authorization", alices)
                .header("Authorization", bobs)
                .GET());
    assertThat(twoUsers.statusCode()).isEqualTo(400);
    assertThat(twoUsers.body()).contains("Authorization");

    HttpResponse<String> twoKeys =
        send(
            HttpRequest.newBuilder(uri("/accounts/" + account + "/credit"))
                .header("Authorization", alices)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "first")
                .header("Idempotency-Key", "second")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}")));
    assertThat(twoKeys.statusCode()).isEqualTo(400);
    assertThat(twoKeys.body()).contains("Idempotency-Key");
  }

  @Test
  void an_opening_the_account_would_refuse_is_refused_before_the_password_is_hashed() {
    // A null password cannot be hashed: the refusal of the address, not the hasher's failure,
    // shows which came first.
    assertThatThrownBy(
            () ->
                served
                    .bank()
                    .service()
                    .openAccountCommand(
                        "id", "Eve", "Adams", "not-an-address", null, BigDecimal.ONE, "alice"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("email");
  }

  private static String basic(String user, String secret) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  private static URI uri(String path) {
    return served.uri().resolve(path.substring(1));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return alice
        .http()
        .send(request.timeout(ApiClient.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
  }
}
