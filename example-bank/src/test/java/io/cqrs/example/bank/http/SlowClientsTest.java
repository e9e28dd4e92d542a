package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Slow clients (slowloris): connections that send their request a byte at a time must not starve
 * the others, a silent connection is closed after the idle timeout, one that sends its headers or
 * its body a byte at a time inside the idle timeout is closed at their deadline, and connections
 * beyond the limit wait.
 */
class SlowClientsTest {
  /** More than Jetty's 250 request threads: if each held one, the normal client would starve. */
  private static final int SLOW_CLIENTS = 300;

  /**
   * About 1,250 bytes, a minute at the adversary's pace: longer than a loaded machine needs for the
   * normal client's requests, so the slow clients are still sending while it is served.
   */
  private static final String REQUEST =
      "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "p".repeat(1_200) + "\r\n\r\n";

  @Test
  void three_hundred_clients_sending_headers_a_byte_at_a_time_do_not_block_a_normal_client()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server =
            BankHttpServer.start(
                bank, BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users()))) {
      List<Socket> slow = new ArrayList<>();
      ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
      AtomicInteger sent = new AtomicInteger();
      try {
        for (int i = 0; i < SLOW_CLIENTS; i++) {
          slow.add(new Socket("127.0.0.1", server.port()));
        }
        byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
        // The adversary's pace: one byte per connection every 50 ms, never the whole request.
        drip.scheduleAtFixedRate(
            () -> {
              int at = sent.getAndIncrement();
              if (at >= request.length - 1) {
                return;
              }
              for (Socket socket : slow) {
                try {
                  socket.getOutputStream().write(request[at]);
                  socket.getOutputStream().flush();
                } catch (Exception e) {
                  // closed by the server: fine
                }
              }
            },
            0,
            50,
            TimeUnit.MILLISECONDS);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        for (int i = 0; i < 10; i++) {
          HttpResponse<String> ready =
              client.send(
                  HttpRequest.newBuilder(server.uri().resolve("ready"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(ready.statusCode()).isEqualTo(200);
        }
        assertThat(sent.get()).as("the slow clients were still sending").isLessThan(request.length);
      } finally {
        drip.shutdownNow();
        for (Socket socket : slow) {
          socket.close();
        }
      }
    }
  }

  @Test
  void a_connection_silent_past_the_idle_timeout_is_closed() throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server =
            BankHttpServer.start(
                bank,
                BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users())
                    .withLimits(
                        BankHttpServer.Limits.DEFAULT.withIdleTimeout(Duration.ofMillis(500))));
        Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      socket.setSoTimeout(20_000);
      InputStream in = socket.getInputStream();

      // The server gives up on the half-sent request: it answers an error or just closes; either
      // way the connection ends long before the client's own 20 s timeout.
      byte[] answer = in.readAllBytes();

      assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotContain("\"up\"");
    }
  }

  /** Far inside the idle timeout of the tests below: only a deadline can end these clients. */
  private static final Duration DRIP = Duration.ofMillis(50);

  private static final BankHttpServer.Limits SHORT =
      BankHttpServer.Limits.DEFAULT
          .withIdleTimeout(Duration.ofSeconds(5))
          .withHeaderTimeout(Duration.ofMillis(500))
          .withBodyTimeout(Duration.ofMillis(500));

  @Test
  void a_client_sending_its_headers_a_byte_at_a_time_is_closed_at_the_header_deadline()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server = start(bank, SHORT);
        Socket socket = new Socket("127.0.0.1", server.port())) {
      byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);

      try (Drip drip = Drip.of(socket, request, 0)) {
        assertClosedByServer(socket);
        assertThat(drip.sent()).as("the client was still sending").isLessThan(request.length);
      }
    }
  }

  @Test
  void a_kept_alive_connection_may_stay_silent_between_requests_but_not_drip_the_next_headers()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server = start(bank, SHORT);
        Socket socket = new Socket("127.0.0.1", server.port())) {
      assertThat(health(socket)).startsWith("HTTP/1.1 200");

      // Silent for three header deadlines, inside the idle timeout: the connection stays open.
      socket.setSoTimeout((int) SHORT.headerTimeout().multipliedBy(3).toMillis());
      assertThatThrownBy(() -> socket.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(health(socket)).startsWith("HTTP/1.1 200");

      byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
      try (Drip drip = Drip.of(socket, request, 0)) {
        assertClosedByServer(socket);
        assertThat(drip.sent()).as("the client was still sending").isLessThan(request.length);
      }
    }
  }

  @Test
  void a_signed_in_client_sending_its_body_a_byte_at_a_time_is_closed_at_the_body_deadline()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server = start(bank, SHORT);
        Socket socket = new Socket("127.0.0.1", server.port())) {
      String body = "{\"fromAccountId\": \"a\", \"padding\": \"" + "p".repeat(1_000) + "\"}";
      String headers =
          "POST /transfers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Authorization: Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      ("alice:" + ApiClient.SECRETS.get("alice")).getBytes(StandardCharsets.UTF_8))
              + "\r\nContent-Length: "
              + body.length()
              + "\r\n\r\n";
      byte[] request = (headers + body).getBytes(StandardCharsets.US_ASCII);

      // The headers at once; then the body a byte at a time.
      try (Drip drip = Drip.of(socket, request, headers.length())) {
        assertClosedByServer(socket);
        assertThat(drip.sent()).as("the client was still sending").isLessThan(request.length);
      }
    }
  }

  @Test
  void connections_beyond_the_limit_wait_until_one_closes_while_the_others_are_served()
      throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server = start(bank, BankHttpServer.Limits.DEFAULT.withMaxConnections(2));
        Socket first = new Socket("127.0.0.1", server.port());
        Socket second = new Socket("127.0.0.1", server.port());
        Socket third = new Socket("127.0.0.1", server.port())) {
      assertThat(health(first)).startsWith("HTTP/1.1 200");
      assertThat(health(second)).startsWith("HTTP/1.1 200");

      send(third, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      third.setSoTimeout(500);
      assertThatThrownBy(() -> third.getInputStream().read())
          .as("the connection beyond the limit is not served")
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(health(first)).as("an earlier one still is").startsWith("HTTP/1.1 200");

      second.close();
      third.setSoTimeout(10_000);
      assertThat(response(third)).startsWith("HTTP/1.1 200");
    }
  }

  private static BankHttpServer start(Bank bank, BankHttpServer.Limits limits) {
    return BankHttpServer.start(
        bank, BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users()).withLimits(limits));
  }

  /**
   * Returns once the server closed the socket: the client's read ends, or is reset when the
   * server's close met a byte still on its way. Fails if that takes 10 s, twice the idle timeout.
   */
  private static void assertClosedByServer(Socket socket) throws Exception {
    socket.setSoTimeout(10_000);
    try {
      InputStream in = socket.getInputStream();
      while (in.read() >= 0) {
        // an answer, if the server gives one: the end of the stream is what counts
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection", e);
    } catch (SocketException e) {
      // reset: closed by the server all the same
    }
  }

  private static String health(Socket socket) throws Exception {
    send(socket, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    socket.setSoTimeout(10_000);
    return response(socket);
  }

  private static void send(Socket socket, String request) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** One response, read to the end of its body so that the connection can take another. */
  private static String response(Socket socket) throws Exception {
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("the connection closed mid-response: " + head);
      }
      head.append((char) b);
    }
    Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head.toString());
    assertThat(length.find()).as(head.toString()).isTrue();
    byte[] body = in.readNBytes(Integer.parseInt(length.group(1)));
    return head + new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Sends {@code request}: its first {@code atOnce} bytes at once, then one byte per {@link #DRIP},
   * never the last.
   */
  private static final class Drip implements AutoCloseable {
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger sent;

    private Drip(Socket socket, byte[] request, int atOnce) throws Exception {
      OutputStream out = socket.getOutputStream();
      out.write(request, 0, atOnce);
      out.flush();
      sent = new AtomicInteger(atOnce);
      executor.scheduleAtFixedRate(
          () -> {
            int at = sent.get();
            if (at >= request.length - 1) {
              return;
            }
            try {
              out.write(request[at]);
              out.flush();
              sent.incrementAndGet();
            } catch (Exception e) {
              // closed by the server: fine
            }
          },
          DRIP.toMillis(),
          DRIP.toMillis(),
          TimeUnit.MILLISECONDS);
    }

    static Drip of(Socket socket, byte[] request, int atOnce) throws Exception {
      return new Drip(socket, request, atOnce);
    }

    int sent() {
      return sent.get();
    }

    @Override
    public void close() {
      executor.shutdownNow();
    }
  }
}
