package io.cqrs.example.bank.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.Command;
import io.cqrs.interceptor.CommandDispatchInterceptor;
import io.cqrs.interceptor.Dispatch;
import io.cqrs.testing.Await;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The Spring Boot bank, in memory, refusing hostile requests as example-bank does: each bad body or
 * id is answered {@code 400 application/problem+json} naming the field, and no command reaches the
 * bus (a dispatch interceptor records every command sent); a body over 64 KiB is answered 413.
 */
@SpringBootTest(
    classes = BankSpringApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(BankSpringValidationIT.Recording.class)
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class BankSpringValidationIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BankClient bank;

  @Value("${local.server.port}")
  private int port;

  @Autowired private RecordingDispatches recorded;

  private List<Command> dispatched;

  /** Records every command put on the bus. */
  static final class RecordingDispatches implements CommandDispatchInterceptor {
    final List<Command> dispatched = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<Void> interceptDispatch(Dispatch<Command> dispatch) {
      dispatched.addAll(dispatch.messages());
      return dispatch.proceed();
    }
  }

  @TestConfiguration
  static class Recording {
    @Bean
    RecordingDispatches recordingDispatches() {
      return new RecordingDispatches();
    }
  }

  @BeforeEach
  void dispatched() {
    dispatched = recorded.dispatched;
    bank = new BankClient(port);
  }

  @Test
  void bad_credits_are_refused_naming_the_field_and_send_no_command() throws Exception {
    String id = openAccount("10.00");

    Map<String, String> badBodies =
        Map.ofEntries(
            Map.entry("{}", "amount"),
            Map.entry("{\"amount\":null}", "amount"),
            Map.entry("{\"amount\":-1}", "amount"),
            Map.entry("{\"amount\":0}", "amount"),
            Map.entry("{\"amount\":1.001}", "amount"),
            Map.entry("{\"amount\":1e30000000}", "amount"),
            Map.entry("{\"amount\":1e-30000000}", "amount"),
            Map.entry("{\"amount\":1e3000000000}", "amount"),
            Map.entry("{\"amount\":10000000000000}", "amount"),
            Map.entry("{\"amount\":\"lots\"}", "amount"),
            Map.entry("{\"amount\":[1]}", "amount"),
            Map.entry("{\"amount\":1,\"extra\":1}", "extra"),
            // A name that reorders (U+202E), hides (U+200B) or breaks lines (U+2028) comes back
            // with those characters as '?'.
            Map.entry("{\"amount\":1,\"a\u202e\u200b\u2028b\":1}", "a???b"),
            Map.entry("{\"amount\":1,\"amount\":2}", "amount"),
            // A duplicate name holding a quote is named whole, not cut at the quote.
            Map.entry("{\"amount\":1,\"a\\\"b\":1,\"a\\\"b\":2}", "a\"b"),
            Map.entry("null", "body"),
            Map.entry("", "body"),
            Map.entry("[]", "body"),
            Map.entry("{\"amount\":", "body"));
    int before = dispatched.size();
    for (Map.Entry<String, String> bad : badBodies.entrySet()) {
      assertBadRequest(bank.post("/accounts/" + id + "/credits", bad.getKey()), bad.getValue());
    }
    assertBadRequest(bank.post("/accounts/-bad/credits", "{\"amount\":1}"), "id");
    assertBadRequest(bank.post("/accounts/" + "a".repeat(101) + "/debits", "{\"amount\":1}"), "id");
    assertBadRequest(bank.get("/accounts/a%0Ab"), "id");
    assertThat(dispatched).as("no command from a refused request").hasSize(before);

    assertThat(bank.post("/accounts/" + id + "/credits", "{\"amount\":1}").statusCode())
        .isEqualTo(202);
    Await.until(
        "the good credit in the read model",
        () -> new BigDecimal("11.00").compareTo(bank.balance(id)) == 0);
    assertThat(dispatched).hasSize(before + 1);
  }

  @Test
  void bad_accounts_are_refused_naming_the_field_before_any_password_is_hashed() throws Exception {
    String good =
        "\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\","
            + "\"password\":\"correct horse\"";
    Map<String, String> badBodies =
        Map.ofEntries(
            Map.entry(account(good, "password", null), "password"),
            Map.entry(account(good, "password", "\"short\""), "password"),
            Map.entry(account(good, "password", "\"" + "p".repeat(129) + "\""), "password"),
            Map.entry(account(good, "password", "\"        \""), "password"),
            Map.entry(account(good, "firstName", null), "firstName"),
            Map.entry(account(good, "lastName", "\"  \""), "lastName"),
            Map.entry(account(good, "lastName", "\"" + "l".repeat(101) + "\""), "lastName"),
            Map.entry(account(good, "firstName", "\"Ada\\nINFO forged\""), "firstName"),
            // An invisible tag character (U+E0041), a surrogate pair in UTF-16.
            Map.entry(account(good, "lastName", "\"Love\\uDB40\\uDC41lace\""), "lastName"),
            Map.entry(account(good, "email", "\"nobody\""), "email"),
            // Addresses the account would refuse: refused here, before a hash and a command.
            Map.entry(account(good, "email", "\"a b@c d\""), "email"),
            Map.entry(account(good, "email", "\"ada@\""), "email"),
            Map.entry(account(good, "email", "\"@\""), "email"),
            // Numbers and booleans are not text: refused, not read as "5" or "true".
            Map.entry(account(good, "firstName", "5"), "firstName"),
            Map.entry(account(good, "lastName", "true"), "lastName"),
            Map.entry(account(good, "email", "1.5"), "email"),
            Map.entry(account(good, "email", "\"" + "e".repeat(250) + "@x.org\""), "email"),
            Map.entry("{" + good + ",\"balance\":-1}", "balance"),
            Map.entry("{" + good + ",\"balance\":1.001}", "balance"),
            Map.entry("{" + good + ",\"balance\":1e30000000}", "balance"),
            Map.entry("{" + good + ",\"admin\":true}", "admin"),
            Map.entry("{" + good + ",\"email\":\"eve@example.com\"}", "email"),
            Map.entry("null", "body"));
    int before = dispatched.size();
    for (Map.Entry<String, String> bad : badBodies.entrySet()) {
      assertBadRequest(bank.post("/accounts", bad.getKey()), bad.getValue());
    }
    assertThat(dispatched).as("no command from a refused request").hasSize(before);
  }

  @Test
  void a_transfer_to_its_own_source_is_refused_before_a_command_is_sent() throws Exception {
    int before = dispatched.size();

    assertBadRequest(
        bank.post("/transfers", "{\"fromAccountId\":\"a1\",\"toAccountId\":\"a1\",\"amount\":1}"),
        "toAccountId");
    assertThat(dispatched).hasSize(before);
  }

  /**
   * What an adversarial run found (2026-12-06), each request as it was sent: a 500 with an error
   * logged, a client's line breaks written into the log, a 404 with no body, a body read as what it
   * does not say. Each is now a problem of the right status, and nothing reaches the log.
   */
  @Test
  void hostile_requests_get_a_problem_not_a_500_and_write_nothing_to_the_log(CapturedOutput log)
      throws Exception {
    int before = dispatched.size();
    String multipart = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n";

    assertProblem(
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts"))
                .header("Content-Type", "multipart/form-data; boundary=x")
                .POST(HttpRequest.BodyPublishers.ofString(multipart))
                .build()),
        415);
    assertProblem(
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts/a1"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("a=%"))
                .build()),
        415);
    assertProblem(
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts/a1/credits"))
                .header("Content-Type", "application/json; charset=utf-16")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}"))
                .build()),
        415);
    // A chunked body, of any type and even empty, is refused before it is read: 411 (RequestGate).
    assertProblem(
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts"))
                .header("Content-Type", "text/plain")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream("x".getBytes())))
                .build()),
        411);
    assertProblem(
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts"))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(new byte[0])))
                .build()),
        411);
    assertProblem(bank.get("/actuator/health/x/y"), 404);
    assertProblem(bank.get("/error"), 404);
    HttpResponse<String> forged =
        bank.get("/actuator/metrics/jvm.memory.used?tag=%0d%0a2026-12-06%20ERROR%20FORGED:%ff");
    assertProblem(forged, 400);
    assertProblem(bank.get("/accounts/a1?x=%C0%B1"), 400);
    HttpResponse<String> unknownPath = bank.get("/foo/%E2%80%AE" + "A".repeat(3000));
    assertProblem(unknownPath, 404);
    assertThat(BankClient.json(unknownPath.body()).path("detail").asText())
        .isEqualTo("No such resource");
    // Its instance, which Spring fills with the path, is cut as example-bank's is.
    assertThat(BankClient.json(unknownPath.body()).path("instance").asText())
        .startsWith("/foo/")
        .hasSizeBetween(190, ProblemInstances.MAX_INSTANCE);
    HttpResponse<String> noAccount = bank.get("/accounts/no-such-account");
    assertProblem(noAccount, 404);
    assertThat(BankClient.json(noAccount.body()).path("detail").asText())
        .isEqualTo("No account 'no-such-account'");
    assertProblem(bank.get("/transfers/no-such-transfer"), 404);
    // The overlong C0 B1, which Jackson alone reads as "1".
    byte[] overlong = {
      '{', '"', 'a', 'm', 'o', 'u', 'n', 't', '"', ':', '"', (byte) 0xC0, (byte) 0xB1, '"', '}'
    };
    HttpResponse<String> malformed =
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts/a1/credits"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(overlong))
                .build());
    assertProblem(malformed, 400);
    assertThat(malformed.body()).contains("not well-formed UTF-8 (at byte 11)");

    // What Tomcat answers itself, before any servlet: a problem too, not its HTML page.
    for (String path : List.of("/accounts/a%2F", "/accounts/a%00b", "/accounts/%ff%fe")) {
      assertProblem(bank.get(path), 400);
    }
    assertProblem(
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts"))
                .header("X-Big", "a".repeat(9000))
                .GET()
                .build()),
        400);
    HttpResponse<String> trace =
        bank.send(
            HttpRequest.newBuilder(bank.uri("/accounts"))
                .method("TRACE", HttpRequest.BodyPublishers.noBody())
                .build());
    assertProblem(trace, 405);
    assertThat(BankClient.json(trace.body()).path("instance").asText()).isEqualTo("/accounts");

    // More parameters than Tomcat reads: logged as a servlet failure with its trace each time.
    assertProblem(bank.get("/accounts?" + String.join("&", Collections.nCopies(3000, "a"))), 400);
    // A write the client says it cannot take the answer of: refused before the command is sent
    // (it was sent, then answered 406, and a client's retry sent it again).
    for (String path : List.of("/accounts", "/accounts/a1/credits", "/transfers")) {
      HttpResponse<String> unacceptable =
          bank.send(
              HttpRequest.newBuilder(bank.uri(path))
                  .header("Content-Type", "application/json")
                  .header("Accept", "text/html")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}"))
                  .build());
      assertThat(unacceptable.statusCode()).as(path).isEqualTo(406);
    }

    assertThat(dispatched).as("no command from a refused request").hasSize(before);
    assertThat(log.getAll()).doesNotContain("FORGED").doesNotContain(" ERROR ");
    // What the gate lets through still works: a well-formed query, a JSON body in UTF-8 (or
    // US-ASCII, its subset) with a quoted or capitalised charset.
    for (String type :
        List.of("application/json; charset=\"UTF-8\"", "Application/JSON; Charset=us-ascii")) {
      HttpResponse<String> credit =
          bank.send(
              HttpRequest.newBuilder(bank.uri("/accounts/a1/credits"))
                  .header("Content-Type", type)
                  .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}"))
                  .build());
      assertThat(credit.statusCode()).as(type + " -> " + credit.body()).isEqualTo(202);
    }
    assertThat(bank.get("/actuator/metrics/jvm.memory.used?tag=area:heap").statusCode())
        .isEqualTo(200);
  }

  private static void assertProblem(HttpResponse<String> response, int status) {
    String what = response.request().uri() + " -> " + response.body();
    assertThat(response.statusCode()).as(what).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .as(what)
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(BankClient.json(response.body()).path("status").asInt()).as(what).isEqualTo(status);
  }

  @Test
  void the_accounts_listing_answers_pages_and_refuses_bad_parameters() throws Exception {
    List<String> opened = List.of(openAccount("1.00"), openAccount("2.00"), openAccount("3.00"));

    java.util.List<String> seen = new java.util.ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      HttpResponse<String> page =
          bank.get("/accounts?limit=2" + (after == null ? "" : "&after=" + after));
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      JsonNode body = BankClient.json(page.body());
      assertThat(body.path("items").size()).isBetween(1, 2);
      assertThat(body.path("unreadable").isArray()).isTrue();
      body.path("items").forEach(item -> seen.add(item.path("id").asText()));
      after = body.path("next").isNull() ? null : body.path("next").asText();
      pages++;
    } while (after != null && pages < 1_000);

    assertThat(seen).containsAll(opened).doesNotHaveDuplicates().isSorted();
    assertThat(pages).isEqualTo((seen.size() + 1) / 2);
    for (String limit : List.of("0", "501", "-1", "1e2", "%201", "1,2", "", "9999999999")) {
      assertBadRequest(bank.get("/accounts?limit=" + limit), "limit");
    }
    assertBadRequest(bank.get("/accounts?limit=1&limit=2"), "limit");
    assertBadRequest(bank.get("/accounts?after=..%2Fx"), "after");
  }

  @Test
  void a_short_password_is_a_400_not_a_500() throws Exception {
    assertBadRequest(
        bank.post(
            "/accounts",
            "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\","
                + "\"password\":\"short\"}"),
        "password");
  }

  @Test
  void a_body_over_64_kib_is_refused_with_413() throws Exception {
    String big = "{\"amount\":1,\"pad\":\"" + "x".repeat(64 * 1024) + "\"}";
    int before = dispatched.size();

    HttpResponse<String> sized = bank.post("/accounts/a1/credits", big);
    assertThat(sized.statusCode()).isEqualTo(413);
    assertThat(sized.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));

    // A chunked body is refused 411 before it is read, whatever its size (see above).
    assertThat(dispatched).hasSize(before);
  }

  private static String account(String good, String field, String value) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode node =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree("{" + good + "}");
    node.remove(field);
    if (value != null) {
      node.set(field, JSON.readTree(value));
    }
    return JSON.writeValueAsString(node);
  }

  private String openAccount(String balance) throws Exception {
    HttpResponse<String> opened =
        bank.post(
            "/accounts",
            "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\","
                + "\"password\":\"correct horse\",\"balance\":"
                + balance
                + "}");
    assertThat(opened.statusCode()).as(opened.body()).isEqualTo(202);
    String id = JSON.readTree(opened.body()).get("id").asText();
    Await.until("the account in the read model", () -> bank.balance(id) != null);
    return id;
  }

  private static void assertBadRequest(HttpResponse<String> response, String field)
      throws Exception {
    String what = response.request().uri() + " -> " + response.body();
    assertThat(response.statusCode()).as(what).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type"))
        .as(what)
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    JsonNode problem = JSON.readTree(response.body());
    assertThat(problem.path("status").asInt()).as(what).isEqualTo(400);
    assertThat(problem.path("field").asText()).as(what).isEqualTo(field);
    assertThat(problem.path("detail").asText()).as(what).contains(field);
  }
}
