package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.http.ApiClient.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the console needs of the server, over plain HTTP: its files, headers that keep read-model
 * text from ever running as script, ETags that make polling cheap without mixing users, a 401 the
 * page can report itself, and nothing else of the class path.
 */
class ConsoleHttpTest {
  private static ServedBank served;
  private static ApiClient alice;
  private static ApiClient anonymous;

  @BeforeAll
  static void start() {
    served = ServedBank.inMemory();
    alice = ApiClient.as("alice", served.uri());
    anonymous = new ApiClient(alice.http(), served.uri(), null, null);
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  private static HttpResponse<String> raw(String rawPath) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + served.server().port() + rawPath))
                .timeout(ApiClient.TIMEOUT)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void the_root_redirects_to_the_console_which_is_served_with_a_strict_content_security_policy()
      throws Exception {
    HttpResponse<String> root = raw("/");
    HttpResponse<String> page = raw("/console/");
    HttpResponse<String> script = raw("/console/console.js");
    HttpResponse<String> style = raw("/console/console.css");

    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("Location")).hasValue("/console/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.body()).contains("<script src=\"console.js\" defer></script>");
    assertThat(page.body()).doesNotContain("<script>").doesNotContain("onclick=");
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("Content-Type").orElse("")).contains("javascript");
    assertThat(script.body()).doesNotContain("innerHTML").doesNotContain("eval(");
    assertThat(style.headers().firstValue("Content-Type").orElse("")).startsWith("text/css");
    for (HttpResponse<String> response : List.of(page, script, style)) {
      assertThat(response.headers().firstValue("Content-Security-Policy"))
          .hasValue(Console.CONTENT_SECURITY_POLICY);
      assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
      assertThat(response.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    }
    assertThat(Console.CONTENT_SECURITY_POLICY)
        .contains("script-src 'self'")
        .doesNotContain("unsafe-inline")
        .doesNotContain("unsafe-eval");
  }

  @Test
  void nothing_else_of_the_class_path_is_served() throws Exception {
    for (String path :
        List.of(
            "/console/../Bank.class",
            "/console/%2e%2e/Bank.class",
            "/console/..%2fBank.class",
            "/console/%2e%2e/http/Console.class",
            "/console/../../../../logback.xml",
            "/console/%2e%2e/%2e%2e/%2e%2e/%2e%2e/example-bank.properties",
            "/io/cqrs/example/bank/Bank.class",
            "/logback.xml")) {
      HttpResponse<String> response = raw(path);
      assertThat(response.statusCode()).as(path).isIn(400, 401, 404);
      assertThat(response.body())
          .as(path)
          .doesNotContain("CAFEBABE")
          .doesNotContain("<configuration");
    }
  }

  @Test
  void reads_carry_an_etag_and_answer_304_while_nothing_changed_and_are_private_per_user()
      throws Exception {
    Reply first = alice.get("/accounts");
    String etag = first.header("ETag");
    Reply unchanged = alice.send("GET", "/accounts", null, Map.of("If-None-Match", etag));
    alice.open("Etta", "1");
    Reply changed = alice.send("GET", "/accounts", null, Map.of("If-None-Match", etag));

    assertThat(etag).isNotBlank();
    assertThat(first.header("Cache-Control")).isEqualTo("private, no-cache");
    assertThat(first.header("Vary")).contains("Authorization");
    assertThat(unchanged.status()).isEqualTo(304);
    assertThat(unchanged.raw().body()).isEmpty();
    assertThat(changed.status()).isEqualTo(200);
    assertThat(changed.header("ETag")).isNotEqualTo(etag);
    assertThat(changed.body().get("items").toString()).contains("Etta");
  }

  @Test
  void a_refused_console_request_gets_a_challenge_browsers_do_not_answer_with_a_dialog()
      throws Exception {
    Reply api = anonymous.get("/accounts");
    Reply console =
        anonymous.send("GET", "/accounts", null, Map.of(Console.REQUESTED_WITH, "cqrs-console"));

    assertThat(api.status()).isEqualTo(401);
    assertThat(api.header("WWW-Authenticate")).startsWith("Basic realm=\"bank\"");
    assertThat(console.status()).isEqualTo(401);
    assertThat(console.header("WWW-Authenticate")).startsWith("Console realm=\"bank\"");
  }
}
