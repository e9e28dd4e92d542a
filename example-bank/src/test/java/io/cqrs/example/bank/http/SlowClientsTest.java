package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Slow clients (slowloris): connections that send their request a byte at a time must not starve
 * the others, and a silent connection is closed after the idle timeout.
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
                    .withIdleTimeout(Duration.ofMillis(500)));
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
}
