package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code HEAD} answers what {@code GET} does, without the body: the same status and the same
 * headers, in {@code serve} and in {@code worker} mode. Javalin on its own answers {@code HEAD} of
 * any {@code GET} route 200 without running the route, with the default JSON content type: {@code
 * HEAD /metrics} was {@code application/json}, {@code HEAD /ready} of an instance not ready was
 * 200, and {@code HEAD /accounts} without credentials was 200.
 */
class HeadRequestsTest {
  private static final String METRICS = "# TYPE up gauge\nup 1\n";

  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void head_of_metrics_answers_the_headers_of_get_without_a_body_when_serving_the_api()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server =
            BankHttpServer.start(
                bank,
                BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users())
                    .withMetrics(() -> METRICS))) {
      assertHeadIsGetWithoutBody(server.uri().resolve("metrics"), 200);
      // A file of the console, which Javalin's static files answered HEAD for already.
      assertHeadIsGetWithoutBody(server.uri().resolve("console/"), 200);
    }
  }

  @Test
  void head_of_metrics_health_and_ready_answer_as_get_does_on_a_workers_endpoints()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000));
        BankHttpServer endpoints =
            BankHttpServer.startOperations(bank, "127.0.0.1", 0, () -> METRICS)) {
      assertHeadIsGetWithoutBody(endpoints.uri().resolve("metrics"), 200);
      assertHeadIsGetWithoutBody(endpoints.uri().resolve("health"), 200);
      // Not started: not ready, to a probe that asks with HEAD too.
      assertHeadIsGetWithoutBody(endpoints.uri().resolve("ready"), 503);
    }
  }

  @Test
  void head_of_a_route_that_needs_credentials_is_refused_without_them_as_get_is() throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      for (String path : List.of("accounts", "transfers", "admin/dead-letters")) {
        assertHeadIsGetWithoutBody(served.uri().resolve(path), 401);
      }
    }
  }

  /**
   * A response too large for Jetty to buffer goes out chunked; its {@code HEAD} says so and sends
   * no chunk, not even the last, so that the connection's next response is read from its first
   * byte.
   */
  @Test
  void head_of_a_chunked_response_leaves_the_connection_to_the_next_request() throws Exception {
    String large = METRICS.repeat(20_000);
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000));
        BankHttpServer endpoints =
            BankHttpServer.startOperations(bank, "127.0.0.1", 0, () -> large);
        Socket socket = new Socket("127.0.0.1", endpoints.port())) {
      assertHeadIsGetWithoutBody(endpoints.uri().resolve("metrics"), 200);
      socket.setSoTimeout((int) ApiClient.TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(
          ("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();

      String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answers).startsWith("HTTP/1.1 200").containsIgnoringCase("chunked");
      String next = answers.substring(answers.indexOf("\r\n\r\n") + 4);
      assertThat(next).startsWith("HTTP/1.1 200").endsWith("{\"status\":\"up\"}");
    }
  }

  /** Sends GET and HEAD to {@code uri}: both answer {@code status}, HEAD with GET's headers. */
  private void assertHeadIsGetWithoutBody(URI uri, int status) throws Exception {
    HttpResponse<String> get = send(uri, "GET");
    HttpResponse<String> head = send(uri, "HEAD");

    assertThat(get.statusCode()).as("GET %s", uri).isEqualTo(status);
    assertThat(head.statusCode()).as("HEAD %s", uri).isEqualTo(status);
    assertThat(head.body()).as("HEAD %s", uri).isEmpty();
    assertThat(headers(head.headers())).as("HEAD %s", uri).isEqualTo(headers(get.headers()));
  }

  private HttpResponse<String> send(URI uri, String method) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri)
            .timeout(ApiClient.TIMEOUT)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The headers but the date, which may tick between the two requests. */
  private static Map<String, List<String>> headers(HttpHeaders headers) {
    Map<String, List<String>> all = new TreeMap<>(headers.map());
    all.remove("date");
    return all;
  }
}
