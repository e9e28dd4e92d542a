package io.cqrs.example.bank.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.testing.Await;
import io.cqrs.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The Spring Boot bank against clients that send their bodies slowly or not at all, on a Tomcat of
 * four request threads: a body past its deadline is refused 408; bodies beyond the reader limit are
 * refused 503 at once, so that the other threads stay free and the health endpoint answers; a
 * chunked body is refused 411 and one too large by its length 413; a client that asks to be told to
 * go on ({@code Expect: 100-continue}) is refused before it sends its body. Each refused connection
 * closes as soon as it is answered: Tomcat's read timeout is 30 s here, and a client whose
 * connection stayed open to have the rest of its body read would wait that long, past the 10 s this
 * test's reads allow. The body deadline is measured on a clock the test moves; nothing here sleeps.
 */
@SpringBootTest(
    classes = BankSpringApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "bank.http.body-readers=2",
      "bank.http.body-timeout=10s",
      "server.tomcat.connection-timeout=30s",
      // Tomcat's default, so that UnreadBodyValve alone keeps refused bodies unread here.
      "server.tomcat.max-swallow-size=2MB",
      "server.tomcat.threads.max=4",
      "server.tomcat.threads.min-spare=1"
    })
@Import(BankSpringSlowClientIT.TestClock.class)
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class BankSpringSlowClientIT {
  private static final String OPEN =
      "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\","
          + "\"password\":\"correct horse\"}";

  /** How long a test's socket read waits: well under Tomcat's 30 s read timeout here. */
  private static final int READ_MILLIS = 10_000;

  @Value("${local.server.port}")
  private int port;

  @Autowired private MutableClock clock;

  @Autowired private FilterRegistrationBean<RequestGate> gate;

  private BankClient bank;
  private final List<Socket> sockets = new ArrayList<>();

  @TestConfiguration
  static class TestClock {
    @Bean("bankHttpClock")
    MutableClock bankHttpClock() {
      return new MutableClock();
    }
  }

  @BeforeEach
  void client() {
    bank = new BankClient(port);
  }

  @AfterEach
  void closeSockets() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    Await.until("no body being read", () -> gate.getFilter().bodiesBeingRead() == 0);
  }

  @Test
  void a_body_still_arriving_at_its_deadline_is_refused_408_and_its_connection_closed()
      throws IOException {
    Socket slow = startBody(100);
    Await.until("the body being read", () -> gate.getFilter().bodiesBeingRead() == 1);

    clock.advance(Duration.ofSeconds(11));
    slow.getOutputStream().write('"'); // the read returns, and the deadline has passed
    slow.getOutputStream().flush();

    assertThat(answerAndClose(slow))
        .startsWith("HTTP/1.1 408")
        .contains("application/problem+json")
        .contains("did not arrive within the time allowed");
  }

  @Test
  void bodies_beyond_the_readers_are_refused_503_and_the_other_threads_stay_free()
      throws IOException {
    startBody(100);
    startBody(100);
    Await.until("both readers busy", () -> gate.getFilter().bodiesBeingRead() == 2);

    // Two more slow bodies: refused at once, each connection closed without reading its body.
    // Without the limit they would hold the last two of the four request threads.
    for (int i = 0; i < 2; i++) {
      String refused = answerAndClose(startBody(100));
      assertThat(refused).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 1");
    }
    HttpResponse<String> health =
        bank.send(
            HttpRequest.newBuilder(bank.uri("/actuator/health"))
                .timeout(Duration.ofMillis(READ_MILLIS))
                .GET()
                .build());
    assertThat(health.statusCode()).isEqualTo(200);

    for (Socket socket : sockets) {
      socket.close(); // the slow clients go away: their reads end, their places are free
    }
    Await.until("the readers' places free", () -> gate.getFilter().bodiesBeingRead() == 0);
    assertThat(bank.post("/accounts", OPEN).statusCode()).isEqualTo(202);
  }

  @Test
  void chunked_and_oversized_bodies_are_refused_and_their_connections_closed_unread()
      throws IOException {
    Socket chunked = connect();
    send(
        chunked,
        "POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n10\r\n{");
    Socket oversized = startBody(RequestGate.MAX_BODY + 1);

    assertThat(answerAndClose(chunked)).startsWith("HTTP/1.1 411");
    assertThat(answerAndClose(oversized)).startsWith("HTTP/1.1 413");
  }

  @Test
  void requests_tomcat_refuses_itself_are_closed_with_their_bodies_unread() throws IOException {
    Socket trace = connect();
    send(
        trace,
        "TRACE /actuator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{");
    Socket encodedSlash = connect();
    send(
        encodedSlash,
        "POST /accounts%2Fx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{");

    assertThat(answerAndClose(trace)).startsWith("HTTP/1.1 405");
    assertThat(answerAndClose(encodedSlash)).startsWith("HTTP/1.1 400");
  }

  @Test
  void malformed_content_lengths_are_refused_and_closed_without_a_line_in_the_log(
      CapturedOutput log) throws IOException {
    for (String lengths :
        List.of(
            "Content-Length: 2\r\nContent-Length: 3", "Content-Length: -1", "Content-Length: x")) {
      Socket socket = connect();
      send(
          socket,
          "POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              + lengths
              + "\r\n\r\n{}");

      assertThat(answerAndClose(socket)).as(lengths).startsWith("HTTP/1.1 400");
    }
    assertThat(log.getAll()).doesNotContain("ERROR").doesNotContain("Exception");
  }

  @Test
  void a_client_expecting_100_continue_is_refused_before_it_sends_its_body() throws IOException {
    startBody(100);
    startBody(100);
    Await.until("both readers busy", () -> gate.getFilter().bodiesBeingRead() == 2);
    String expecting =
        "POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            + "Content-Length: 100\r\nContent-Type: ";
    Socket busy = connect();
    send(busy, expecting + "application/json\r\n\r\n");
    Socket notJson = connect();
    send(notJson, expecting + "text/plain\r\n\r\n");

    // Tomcat's default would tell both to go on first ("HTTP/1.1 100"), and they would send 100
    // bytes only to have them refused.
    assertThat(answerAndClose(busy)).startsWith("HTTP/1.1 503");
    assertThat(answerAndClose(notJson)).startsWith("HTTP/1.1 415");

    for (Socket socket : sockets) {
      socket.close();
    }
    Await.until("the readers' places free", () -> gate.getFilter().bodiesBeingRead() == 0);
    Socket accepted = connect();
    send(
        accepted,
        "POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            + "Content-Type: application/json\r\nContent-Length: "
            + OPEN.getBytes(StandardCharsets.UTF_8).length
            + "\r\nConnection: close\r\n\r\n");
    assertThat(firstLine(accepted))
        .as("told to go on once the gate reads")
        .startsWith("HTTP/1.1 100");
    send(accepted, OPEN);
    assertThat(answerAndClose(accepted)).contains("HTTP/1.1 202");
  }

  /** The first line the server sends, read byte by byte so nothing after it is consumed. */
  private static String firstLine(Socket socket) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
      line.write(b);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    sockets.add(socket);
    socket.setSoTimeout(READ_MILLIS);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** A connection that has sent a POST's headers and the first byte of its body, and no more. */
  private Socket startBody(int contentLength) throws IOException {
    Socket socket = connect();
    send(
        socket,
        "POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + contentLength
            + "\r\n\r\n{");
    return socket;
  }

  /**
   * Everything the server sends until it closes the connection; fails if it keeps the connection
   * open past the test's read timeout (reading, say, the rest of a refused body).
   */
  private static String answerAndClose(Socket socket) throws IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int read; (read = in.read(buffer)) >= 0; ) {
        answer.write(buffer, 0, read);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "The connection stayed open; answered so far: " + answer.toString(StandardCharsets.UTF_8),
          e);
    } catch (SocketException reset) {
      // Closed with bytes of ours unread, the server's kernel resets rather than ends it: closed
      // all the same, once the answer is in.
      if (answer.size() == 0) {
        throw reset;
      }
    }
    return answer.toString(StandardCharsets.UTF_8);
  }
}
