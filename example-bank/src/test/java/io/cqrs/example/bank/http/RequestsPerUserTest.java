package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.testing.Await;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One user's requests take at most {@link ApiUsers#MAX_REQUESTS_PER_USER} of the server's request
 * threads: an adversary sending 500 bodies a byte at a time as one customer held 247 of Jetty's
 * 250, and every other user's requests, {@code /health} included, waited 25 s.
 */
class RequestsPerUserTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void a_users_requests_beyond_the_limit_are_refused_while_other_users_are_served()
      throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      ApiClient bob = ApiClient.as("bob", served.uri());
      String account = alice.open("Held", "10.00");
      List<Socket> held = new ArrayList<>();
      try {
        // Alice's bodies that never come: each holds a request thread once she is signed in. Two
        // more than her places: those two are refused, whichever they are, and the rest hold all
        // of her places.
        for (int i = 0; i < ApiUsers.MAX_REQUESTS_PER_USER + 2; i++) {
          held.add(heldCredit(served, account));
        }
        List<Socket> refused = new ArrayList<>();
        Await.until(
            WAIT,
            () -> "two of alice's held requests refused, were " + refused.size(),
            () -> {
              for (Socket socket : held) {
                if (!refused.contains(socket) && answered(socket).startsWith("HTTP/1.1 429")) {
                  refused.add(socket);
                }
              }
              return refused.size() == 2;
            });
        held.removeAll(refused);
        refused.forEach(RequestsPerUserTest::close);

        ApiClient.Reply next = alice.get("/accounts");
        assertThat(next.status()).as("alice's next request").isEqualTo(429);
        assertThat(next.code()).isEqualTo("too_many_requests");
        assertThat(next.header("Retry-After")).isEqualTo("1");
        assertThat(bob.get("/accounts").status()).as("another user is served").isEqualTo(200);
        assertThat(bob.get("/health").status()).isEqualTo(200);

        close(held.remove(0)); // its read fails, its request ends, its place comes back
        Await.until(WAIT, "a place of alice's comes back", () -> status(alice, "/accounts") == 200);
      } finally {
        held.forEach(RequestsPerUserTest::close);
      }
    }
  }

  /** What the server answered on {@code socket} so far, without waiting; empty if nothing. */
  private static String answered(Socket socket) {
    try {
      socket.setSoTimeout(1);
      byte[] buffer = new byte[64];
      int read = socket.getInputStream().read(buffer);
      return read > 0 ? new String(buffer, 0, read, StandardCharsets.US_ASCII) : "";
    } catch (java.net.SocketTimeoutException nothingYet) {
      return "";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A request that fails (404, 400, 409) gives its place back as one that succeeds does. */
  @Test
  void failed_requests_give_their_places_back() throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String account = alice.open("Failing", "1.00");
      for (int i = 0; i < 3 * ApiUsers.MAX_REQUESTS_PER_USER; i++) {
        assertThat(alice.get("/accounts/no-such-account").status()).isEqualTo(404);
        assertThat(alice.post("/accounts/" + account + "/debit", "{\"amount\": \"x\"}").status())
            .isEqualTo(400);
        assertThat(alice.post("/accounts/" + account + "/debit", "{\"amount\": \"5.00\"}").status())
            .isEqualTo(409);
      }
      assertThat(alice.get("/accounts").status()).isEqualTo(200);
    }
  }

  private static int status(ApiClient client, String path) {
    try {
      return client.get(path).status();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Alice's credit whose headers are sent in full and whose 100-byte body never comes. */
  private static Socket heldCredit(ServedBank served, String account) throws Exception {
    Socket socket = new Socket("127.0.0.1", served.server().port());
    String request =
        "POST /accounts/"
            + account
            + "/credit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Authorization: Basic "
            + Base64.getEncoder()
                .encodeToString(
                    ("alice:" + ApiClient.SECRETS.get("alice")).getBytes(StandardCharsets.UTF_8))
            + "\r\nContent-Length: 100\r\n\r\n{";
    OutputStream out = socket.getOutputStream();
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return socket;
  }
}
