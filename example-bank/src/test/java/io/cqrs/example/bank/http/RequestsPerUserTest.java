package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.request.FieldRules;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * One user's requests take at most {@link ApiUsers#MAX_REQUESTS_PER_USER} of the server's request
 * threads: an adversary sending 500 bodies a byte at a time as one customer held 247 of Jetty's
 * 250, and every other user's requests, {@code /health} included, waited 25 s. A request counts
 * until its response is written out, since a client that reads nothing holds a thread in the write.
 */
class RequestsPerUserTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** The largest page a listing answers. */
  private static final int PAGE = FieldRules.MAX_PAGE_SIZE;

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

  /**
   * A place is given back once the response is written, not once the route returns: a client that
   * never reads holds a request thread in each response's write (until the idle timeout), so were
   * its place free by then, one user's unread responses could hold any number of threads. Each
   * connection here asks for pages of accounts, pipelined, and reads none; once the server's and
   * the kernel's buffers are full, a request thread waits in the write for good.
   */
  @Test
  void responses_a_client_never_reads_hold_their_places_until_the_client_goes() throws Exception {
    ApiUsers users = ApiClient.users();
    Semaphore places = users.requestPlaces(new ApiUsers.User("root", true));
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        // Longer than the test: only the client's going ends a waiting write.
        BankHttpServer server = start(bank, users, Duration.ofMinutes(5))) {
      ApiClient root = ApiClient.as("root", server.uri());
      ApiClient bob = ApiClient.as("bob", server.uri());
      int pageBytes = fillAPage(bank, root);
      List<Socket> unread = new ArrayList<>();
      try {
        for (int held = 1; held <= ApiUsers.MAX_REQUESTS_PER_USER; held++) {
          unread.add(pagesNeverRead(server, pageBytes));
          int expected = held;
          Await.until(
              WAIT,
              () ->
                  expected
                      + " unread responses holding as many places: places free "
                      + places.availablePermits()
                      + ", threads waiting to write "
                      + threadsWaitingToWrite(),
              () ->
                  places.availablePermits() == ApiUsers.MAX_REQUESTS_PER_USER - expected
                      && threadsWaitingToWrite() >= expected);
        }

        ApiClient.Reply next = root.get("/accounts?limit=1");
        assertThat(next.status()).as("root's next request").isEqualTo(429);
        assertThat(next.code()).isEqualTo("too_many_requests");
        assertThat(bob.get("/accounts").status()).as("another user is served").isEqualTo(200);

        // Gone mid-response: its write fails, and its place comes back; the others stay held.
        close(unread.remove(0));
        Await.until(
            WAIT,
            "the place of a client gone mid-response comes back",
            () -> places.availablePermits() == 1);
      } finally {
        unread.forEach(RequestsPerUserTest::close);
      }
      Await.until(
          WAIT,
          () -> "every place comes back, " + places.availablePermits() + " did",
          () -> places.availablePermits() == ApiUsers.MAX_REQUESTS_PER_USER);
      assertThat(root.get("/accounts?limit=1").status()).isEqualTo(200);
    }
  }

  /** A client that neither reads nor goes holds its place until the idle timeout ends the write. */
  @Test
  void an_unread_response_gives_its_place_back_at_the_idle_timeout() throws Exception {
    ApiUsers users = ApiClient.users();
    Semaphore places = users.requestPlaces(new ApiUsers.User("root", true));
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
        BankHttpServer server = start(bank, users, Duration.ofSeconds(1));
        Socket unread =
            pagesNeverRead(server, fillAPage(bank, ApiClient.as("root", server.uri())))) {
      Await.until(
          WAIT,
          () -> "an unread response holding a place: " + places.availablePermits() + " free",
          () ->
              places.availablePermits() == ApiUsers.MAX_REQUESTS_PER_USER - 1
                  && threadsWaitingToWrite() >= 1);

      Await.until(
          WAIT,
          "the idle timeout ends the write and gives the place back",
          () -> places.availablePermits() == ApiUsers.MAX_REQUESTS_PER_USER);
    }
  }

  private static BankHttpServer start(Bank bank, ApiUsers users, Duration idleTimeout) {
    return BankHttpServer.start(
        bank,
        BankHttpServer.Settings.of("127.0.0.1", 0, users)
            .withLimits(BankHttpServer.Limits.DEFAULT.withIdleTimeout(idleTimeout)));
  }

  /**
   * Opens a page of accounts as large as the rules allow (the longest names and address) and
   * returns how many bytes {@code root}'s {@code GET /accounts?limit=500} answers.
   */
  private static int fillAPage(Bank bank, ApiClient root) throws Exception {
    String hash = new PasswordHasher(1_000).hash("$ecretPassw0rd");
    String name = "N".repeat(100);
    String email = "e".repeat(240) + "@cqrs.example";
    for (int i = 0; i < PAGE; i++) {
      String id = String.format("unread-%03d-", i) + "i".repeat(88);
      bank.cqrs()
          .commandBus()
          .publish(
              Command.create(new OpenAccount(id, name, name, email, hash, BigDecimal.ONE, "root")));
    }
    Await.until(
        WAIT,
        "the read model files the page",
        () -> bank.accounts().idsOwnedBy("root").size() == PAGE);
    ApiClient.Reply page = root.get("/accounts?limit=" + PAGE);
    assertThat(page.status()).isEqualTo(200);
    return page.raw().body().length();
  }

  /**
   * A connection that asks root's pages of accounts, pipelined, twice as many bytes as the kernel's
   * largest send buffer could take, with a small receive buffer, and reads nothing.
   */
  private static Socket pagesNeverRead(BankHttpServer server, int pageBytes) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(1024);
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
    String request =
        "GET /accounts?limit="
            + PAGE
            + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + Base64.getEncoder()
                .encodeToString(
                    ("root:" + ApiClient.SECRETS.get("root")).getBytes(StandardCharsets.UTF_8))
            + "\r\n\r\n";
    long pages = 2 * largestSendBuffer() / pageBytes + 2;
    OutputStream out = socket.getOutputStream();
    out.write(request.repeat((int) pages).getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return socket;
  }

  /** The most a TCP send buffer grows to: Linux's tcp_wmem maximum, else 8 MiB. */
  private static long largestSendBuffer() {
    try {
      String[] wmem =
          Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).strip().split("\\s+");
      return Long.parseLong(wmem[2]);
    } catch (IOException | RuntimeException notLinux) {
      return 8L << 20;
    }
  }

  /**
   * How many threads wait in a servlet response's write: Jetty parks a request thread there while
   * the connection cannot take more bytes.
   */
  private static long threadsWaitingToWrite() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(
            thread ->
                thread.getKey().getState() == Thread.State.WAITING
                    || thread.getKey().getState() == Thread.State.TIMED_WAITING)
        .filter(
            thread ->
                Arrays.stream(thread.getValue())
                    .anyMatch(
                        frame ->
                            frame
                                .getClassName()
                                .equals("org.eclipse.jetty.ee10.servlet.HttpOutput")))
        .count();
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
