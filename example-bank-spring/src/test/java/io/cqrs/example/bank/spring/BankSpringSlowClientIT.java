package io.cqrs.example.bank.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.testing.Await;
import io.cqrs.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The Spring Boot bank against clients that send their bodies slowly or not at all: a body past its
 * deadline is refused 408 and its connection closed, a client that stops sending is cut off by
 * Tomcat's read timeout, and bodies beyond the reader limit are refused 503 at once while the
 * health endpoint still answers. The body deadline is measured on a clock the test moves; nothing
 * here sleeps.
 */
@SpringBootTest(
    classes = BankSpringApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "bank.http.body-readers=2",
      "bank.http.body-timeout=10s",
      "server.tomcat.connection-timeout=2s"
    })
@Import(BankSpringSlowClientIT.TestClock.class)
@DirtiesContext
class BankSpringSlowClientIT {
  private static final String OPEN =
      "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\","
          + "\"password\":\"correct horse\"}";

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
  void a_body_still_arriving_at_its_deadline_is_refused_408_and_the_connection_closed()
      throws IOException {
    Socket slow = startBody(OPEN.getBytes(StandardCharsets.UTF_8).length);
    Await.until("the body being read", () -> gate.getFilter().bodiesBeingRead() == 1);

    clock.advance(Duration.ofSeconds(11));
    slow.getOutputStream().write('"'); // the read returns, and the deadline has passed
    slow.getOutputStream().flush();

    String answer = readToEnd(slow);
    assertThat(answer)
        .startsWith("HTTP/1.1 408")
        .contains("application/problem+json")
        .contains("did not arrive within the time allowed"); // the deadline, not the read timeout
    assertThat(answer.toLowerCase()).contains("connection: close");
  }

  @Test
  void a_client_that_stops_sending_is_cut_off_by_the_read_timeout() throws IOException {
    Socket stalled = startBody(100);

    // Tomcat's read timeout is 2 s here: the answer comes then, and the connection closes.
    String answer = readToEnd(stalled);

    // Answered by RequestGate or by Tomcat itself, which fails the read and answers 408 first.
    assertThat(answer).startsWith("HTTP/1.1 408").contains("application/problem+json");
    assertThat(answer.toLowerCase()).contains("connection: close");
    Await.until("the reader's place free", () -> gate.getFilter().bodiesBeingRead() == 0);
  }

  @Test
  void bodies_beyond_the_reader_limit_are_refused_503_while_health_answers() throws IOException {
    startBody(100);
    startBody(100);
    Await.until("both bodies being read", () -> gate.getFilter().bodiesBeingRead() == 2);

    HttpResponse<String> refused = bank.post("/accounts", OPEN);
    HttpResponse<String> health = bank.get("/actuator/health");

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(health.statusCode()).isEqualTo(200);

    for (Socket socket : sockets) {
      socket.close(); // the clients go away: their reads end, and their places are free
    }
    Await.until("the readers' places free", () -> gate.getFilter().bodiesBeingRead() == 0);
    assertThat(bank.post("/accounts", OPEN).statusCode()).isEqualTo(202);
  }

  /** A connection that has sent a POST's headers and the first byte of its body, and no more. */
  private Socket startBody(int contentLength) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    sockets.add(socket);
    socket.setSoTimeout(30_000); // a read that gets nothing fails the test rather than hang it
    OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + contentLength
                + "\r\n\r\n{")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return socket;
  }

  /** Everything the server sends until it closes the connection. */
  private static String readToEnd(Socket socket) throws IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int read; (read = in.read(buffer)) >= 0; ) {
        answer.write(buffer, 0, read);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "The connection stayed open; so far: " + answer.toString(StandardCharsets.UTF_8), e);
    }
    return answer.toString(StandardCharsets.UTF_8);
  }
}
