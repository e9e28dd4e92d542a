package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests Jetty refuses before Javalin sees them are answered with problems too. They are written
 * on a raw socket: {@link java.net.http.HttpClient} refuses to send most of them.
 */
class JettyErrorsTest {
  private static ServedBank served;

  @BeforeAll
  static void start() {
    served = ServedBank.inMemory();
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  /** A response as status line, headers and body. */
  private record Raw(String head, String body) {
    int status() {
      return Integer.parseInt(head.substring(9, 12));
    }

    String contentType() {
      for (String line : head.split("\r\n")) {
        if (line.regionMatches(true, 0, "Content-Type:", 0, 13)) {
          return line.substring(13).strip();
        }
      }
      return null;
    }
  }

  private static Raw send(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", served.server().port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        all.write(buffer, 0, n);
      }
      String response = all.toString(StandardCharsets.UTF_8);
      int end = response.indexOf("\r\n\r\n");
      return new Raw(response.substring(0, end), response.substring(end + 4));
    }
  }

  private static void assertProblem(Raw reply, int status, String code) throws Exception {
    assertThat(reply.status()).as(reply.head()).isEqualTo(status);
    assertThat(reply.contentType()).as(reply.head()).startsWith(Problem.CONTENT_TYPE);
    JsonNode problem = ApiClient.JSON.readTree(reply.body());
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("code").asText()).isEqualTo(code);
    assertThat(problem.get("type").asText()).isEqualTo("urn:cqrs:bank:problem:" + code);
  }

  /**
   * A page parameter whose value is not even well-formed percent-encoding ({@code %ZZ}, a lone
   * {@code %}) is refused like any other bad value: Javalin decodes such a value to nothing and
   * keeps the name, and a listing that took it for "absent" would serve the first page again to a
   * client following a damaged cursor, for ever.
   */
  @Test
  void a_page_parameter_whose_percent_encoding_is_malformed_answers_a_400_naming_it()
      throws Exception {
    String alice =
        Base64.getEncoder()
            .encodeToString(
                ("alice:" + ApiClient.SECRETS.get("alice")).getBytes(StandardCharsets.UTF_8));
    for (String path : List.of("/accounts", "/transfers")) {
      for (String query :
          List.of(
              "limit=%ZZ",
              "limit=5%",
              "after=%",
              "after=%C3%28",
              "after=%FF",
              "after=a%00",
              "limit=5&after=%")) {
        Raw reply =
            send(
                "GET "
                    + path
                    + "?"
                    + query
                    + " HTTP/1.1\r\nHost: bank\r\nAuthorization: Basic "
                    + alice
                    + "\r\nConnection: close\r\n\r\n");

        assertProblem(reply, 400, "invalid_field");
        String field = ApiClient.JSON.readTree(reply.body()).path("field").asText();
        assertThat(field)
            .as(path + "?" + query)
            .isEqualTo(query.contains("after") ? "after" : "limit");
      }
    }
  }

  /**
   * The same for a dead-letter replay's {@code max}: read as absent, {@code ?max=%ZZ} replayed
   * every dead letter of the queue instead of none.
   */
  @Test
  void a_replay_max_whose_percent_encoding_is_malformed_answers_a_400_and_replays_nothing()
      throws Exception {
    String root =
        Base64.getEncoder()
            .encodeToString(
                ("root:" + ApiClient.SECRETS.get("root")).getBytes(StandardCharsets.UTF_8));
    for (String max : List.of("%ZZ", "%", "5%", "1&max=1000")) {
      Raw reply =
          send(
              "POST /admin/dead-letters/queues/commands/bank/replay?max="
                  + max
                  + " HTTP/1.1\r\nHost: bank\r\nAuthorization: Basic "
                  + root
                  + "\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

      assertProblem(reply, 400, "invalid_max");
    }
  }

  /**
   * A chunked body over the limit is too large as a Content-Length one is: it was answered 400 "the
   * request body could not be read" (Javalin's limit hit while reading).
   */
  @Test
  void a_chunked_body_over_64_kib_answers_a_413_problem() throws Exception {
    String alice =
        Base64.getEncoder()
            .encodeToString(
                ("alice:" + ApiClient.SECRETS.get("alice")).getBytes(StandardCharsets.UTF_8));
    String chunk = "x".repeat(8_192);
    StringBuilder request =
        new StringBuilder(
            "POST /accounts HTTP/1.1\r\nHost: bank\r\nAuthorization: Basic "
                + alice
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n");
    for (int i = 0; i < 9; i++) { // 72 KiB
      request
          .append(Integer.toHexString(chunk.length()))
          .append("\r\n")
          .append(chunk)
          .append("\r\n");
    }
    request.append("0\r\n\r\n");

    assertProblem(send(request.toString()), 413, "too_large");
  }

  @Test
  void headers_over_8_kib_answer_a_431_problem() throws Exception {
    Raw reply =
        send(
            "GET /accounts HTTP/1.1\r\nHost: bank\r\nX-Big: "
                + "a".repeat(9_000)
                + "\r\nConnection: close\r\n\r\n");

    assertProblem(reply, 431, "headers_too_large");
  }

  @Test
  void a_control_character_in_a_header_value_answers_a_400_problem() throws Exception {
    Raw reply =
        send(
            "GET /accounts HTTP/1.1\r\nHost: bank\r\nX-Bad: a\u0001b\r\nConnection: close\r\n\r\n");

    assertProblem(reply, 400, "bad_request");
  }

  @Test
  void an_overlong_utf8_path_answers_a_400_problem_whatever_the_method() throws Exception {
    for (String method : new String[] {"GET", "POST", "DELETE"}) {
      Raw reply =
          send(method + " /accounts/%C0%AF HTTP/1.1\r\nHost: bank\r\nConnection: close\r\n\r\n");

      assertProblem(reply, 400, "bad_request");
      assertThat(reply.body()).doesNotContain("%C0");
    }
  }
}
