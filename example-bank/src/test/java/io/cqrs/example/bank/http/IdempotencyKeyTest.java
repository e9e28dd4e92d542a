package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountCommand.ChangePassword;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.http.ApiClient.Reply;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.Outcome;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * What an {@code Idempotency-Key} promises: one effect per key, a failure of the server's own that
 * does not use the key up, and a key reused for another request refused with 422, whether the two
 * requests come one after the other or race; and what the request digest that checks it reveals
 * (nothing of a password).
 */
class IdempotencyKeyTest {
  private static final String OPEN =
      "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@cqrs.example\","
          + "\"password\":\"%s\"}";

  /**
   * Holds the first {@code parties} commands of one type until all of them are being handled: each
   * has then passed the API's check for an earlier outcome, and none has committed yet.
   */
  private static final class Rendezvous implements CommandHandlerInterceptor {
    private final Class<?> type;
    private final CountDownLatch arrived;

    Rendezvous(Class<?> type, int parties) {
      this.type = type;
      this.arrived = new CountDownLatch(parties);
    }

    @Override
    public Outcome interceptCommand(Handling<Command> handling) throws Exception {
      if (type.isInstance(handling.message().body()) && arrived.getCount() > 0) {
        arrived.countDown();
        if (!arrived.await(ApiClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          throw new AssertionError("the racing requests never met in the handler");
        }
      }
      return handling.proceed();
    }
  }

  /**
   * A dependency of the command handlers that fails every command of one type, before its handler
   * runs, until repaired: a failure of the server's own, which the dispatcher records as retryable.
   */
  private static final class Outage implements CommandHandlerInterceptor {
    private final Class<?> type;
    private volatile boolean down = true;

    Outage(Class<?> type) {
      this.type = type;
    }

    void repair() {
      down = false;
    }

    @Override
    public Outcome interceptCommand(Handling<Command> handling) throws Exception {
      if (down && type.isInstance(handling.message().body())) {
        throw new IllegalStateException("the test's dependency is down");
      }
      return handling.proceed();
    }
  }

  private static String digestOf(ServedBank served, String commandId) {
    List<VersionedEvent> events = served.bank().service().eventsOfCorrelation(commandId);
    assertThat(events).isNotEmpty();
    return events.get(0).metadata().get(BankApi.REQUEST_DIGEST);
  }

  private static void assertKeyReused(Reply reply) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(422);
    assertThat(reply.code()).isEqualTo("idempotency_key_reused");
    assertThat(reply.body().get("field").asText()).isEqualTo("Idempotency-Key");
  }

  @Test
  void the_recorded_request_digest_is_no_unsalted_hash_of_a_password() throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());

      Reply first = alice.post("/accounts", OPEN.formatted("first-Passw0rd"), "open-1");
      Reply second = alice.post("/accounts", OPEN.formatted("other-Passw0rd"), "open-2");
      String id = first.body().get("commandId").asText();
      Reply change =
          alice.post("/accounts/" + id + "/password", "{\"password\":\"third-Passw0rd\"}", "pw-1");

      assertThat(List.of(first.status(), second.status(), change.status()))
          .containsExactly(201, 201, 200);
      String opened = digestOf(served, id);
      String changed = digestOf(served, change.body().get("commandId").asText());
      // What the digest was: SHA-256 of the operation and the canonical body, password included.
      assertThat(opened)
          .isNotEqualTo(
              Digests.sha256(
                  "open-account\n{\"email\":\"ada@cqrs.example\",\"firstName\":\"Ada\","
                      + "\"lastName\":\"Lovelace\",\"password\":\"first-Passw0rd\",}"));
      assertThat(changed)
          .isNotEqualTo(Digests.sha256("password:" + id + "\n{\"password\":\"third-Passw0rd\",}"));
      // Requests that differ in their password alone have one digest: it says nothing of it.
      assertThat(opened).isEqualTo(digestOf(served, second.body().get("commandId").asText()));
    }
  }

  @Test
  void a_key_reused_with_another_password_is_refused_and_with_the_same_one_answered_again()
      throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      Reply opened = alice.post("/accounts", OPEN.formatted("first-Passw0rd"), "open-1");
      String id = opened.body().get("commandId").asText();
      String password = "/accounts/" + id + "/password";
      Reply changed = alice.post(password, "{\"password\":\"second-Passw0rd\"}", "pw-1");

      Reply openAgain = alice.post("/accounts", OPEN.formatted("first-Passw0rd"), "open-1");
      Reply openOther = alice.post("/accounts", OPEN.formatted("other-Passw0rd"), "open-1");
      Reply changeAgain = alice.post(password, "{\"password\":\"second-Passw0rd\"}", "pw-1");
      Reply changeOther = alice.post(password, "{\"password\":\"other-Passw0rd\"}", "pw-1");

      assertThat(openAgain.status()).as(openAgain.raw().body()).isEqualTo(201);
      assertThat(openAgain.body().get("commandId").asText()).isEqualTo(id);
      assertKeyReused(openOther);
      assertThat(changeAgain.status()).as(changeAgain.raw().body()).isEqualTo(200);
      assertThat(changeAgain.body().get("version")).isEqualTo(changed.body().get("version"));
      assertKeyReused(changeOther);
      String hash = served.bank().service().findAccount(id).orElseThrow().passwordHash();
      assertThat(new PasswordHasher().matches("second-Passw0rd", hash)).isTrue();
      assertThat(served.bank().repository().store().version(id)).isEqualTo(2);
    }
  }

  /**
   * An adversary's retry: a request that changed nothing (the address it set was the account's
   * already) recorded no outcome, so its retry, after another request had changed the address, ran
   * again and set it back; and its key took a request of another body. The first answer stands.
   */
  @Test
  void a_retry_of_a_request_that_changed_nothing_is_answered_again_and_changes_nothing()
      throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String id =
          alice
              .post("/accounts", OPEN.formatted("first-Passw0rd"))
              .body()
              .get("commandId")
              .asText();
      String email = "/accounts/" + id + "/email";
      Reply same = alice.post(email, "{\"email\":\"ada@cqrs.example\"}", "mail-1");
      assertThat(same.status()).as(same.raw().body()).isEqualTo(200);
      assertThat(same.body().get("status").asText()).isEqualTo("succeeded");
      Reply changed = alice.post(email, "{\"email\":\"new@cqrs.example\"}");
      assertThat(changed.status()).isEqualTo(200);

      Reply retried = alice.post(email, "{\"email\":\"ada@cqrs.example\"}", "mail-1");
      Reply other = alice.post(email, "{\"email\":\"other@cqrs.example\"}", "mail-1");

      assertThat(retried.status()).as(retried.raw().body()).isEqualTo(200);
      assertThat(retried.body().get("status").asText()).isEqualTo("succeeded");
      assertThat(retried.body().get("events")).isEmpty();
      assertKeyReused(other);
      assertThat(served.bank().service().findAccount(id).orElseThrow().email())
          .as("the retry did not set the address back")
          .isEqualTo("new@cqrs.example");
      assertThat(served.bank().repository().store().version(id)).isEqualTo(2);
    }
  }

  /**
   * A retry whose client wrote the same amount another way (a decimal type serialised again) is the
   * same request: numbers compare by value. Before, {@code 5} and {@code 5.00} digested apart and
   * the retry was refused as a reused key.
   */
  @Test
  void a_retry_that_writes_the_same_number_another_way_is_the_same_request() throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String id = alice.open("Val", "0.00");
      String credit = "/accounts/" + id + "/credit";

      Reply first = alice.post(credit, "{\"amount\":5}", "credit-1");
      Reply decimals = alice.post(credit, "{\"amount\":5.00}", "credit-1");
      Reply exponent = alice.post(credit, "{\"amount\":0.5e1}", "credit-1");
      Reply other = alice.post(credit, "{\"amount\":5.01}", "credit-1");
      Reply text = alice.post(credit, "{\"amount\":\"5\"}", "credit-1");

      assertThat(first.status()).as(first.raw().body()).isEqualTo(200);
      assertThat(decimals.status()).as(decimals.raw().body()).isEqualTo(200);
      assertThat(exponent.status()).as(exponent.raw().body()).isEqualTo(200);
      assertThat(decimals.body().get("commandId")).isEqualTo(first.body().get("commandId"));
      assertKeyReused(other);
      assertKeyReused(text); // a string is another request, even one the API reads alike
      assertThat(served.bank().service().findAccount(id).orElseThrow().balance())
          .isEqualTo(new BigDecimal("5.00"));
    }
  }

  @Test
  void a_request_retried_after_a_failure_of_the_server_runs_again_and_takes_effect_once()
      throws Exception {
    Outage outage = new Outage(CreditAccount.class);
    try (ServedBank served = ServedBank.inMemory(outage)) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String id = alice.open("Val", "0.00");
      String credit = "/accounts/" + id + "/credit";

      Reply failed = alice.post(credit, "{\"amount\":5}", "credit-1");
      outage.repair();
      Reply retried = alice.post(credit, "{\"amount\":5}", "credit-1");
      Reply again = alice.post(credit, "{\"amount\":5}", "credit-1");

      assertThat(failed.status()).as(failed.raw().body()).isEqualTo(500);
      // The failure was the server's, not the command's outcome: the retry runs it.
      assertThat(retried.status()).as(retried.raw().body()).isEqualTo(200);
      String commandId = retried.body().get("commandId").asText();
      assertThat(served.bank().service().eventsOfCorrelation(commandId))
          .as("the failure is recorded under the command")
          .anyMatch(event -> event.event() instanceof CommandFailed f && f.retryable());
      assertThat(retried.body().get("version").asLong()).isEqualTo(2);
      assertThat(again.status()).as(again.raw().body()).isEqualTo(200);
      assertThat(again.body().get("commandId")).isEqualTo(retried.body().get("commandId"));
      assertThat(served.bank().service().findAccount(id).orElseThrow().balance())
          .isEqualTo(new BigDecimal("5.00"));
      assertThat(served.bank().repository().store().version(id)).isEqualTo(2);
      Reply status = alice.get("/commands/" + commandId);
      assertThat(status.body().get("status").asText()).isEqualTo("succeeded");
    }
  }

  @Test
  void of_two_racing_requests_with_one_key_and_other_bodies_the_second_is_refused()
      throws Exception {
    try (ServedBank served = ServedBank.inMemory(new Rendezvous(CreditAccount.class, 2))) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String id = alice.open("Rex", "0.00");
      List<String> amounts = List.of("1.00", "1000.00");

      List<Reply> replies =
          race(
              amounts.stream()
                  .map(
                      amount ->
                          (Supplier<Reply>)
                              () ->
                                  post(
                                      alice,
                                      "/accounts/" + id + "/credit",
                                      "{\"amount\":" + amount + "}",
                                      "race-1"))
                  .toList());

      assertThat(replies).extracting(Reply::status).containsExactlyInAnyOrder(200, 422);
      int won = replies.get(0).status() == 200 ? 0 : 1;
      assertKeyReused(replies.get(1 - won));
      assertThat(served.bank().service().findAccount(id).orElseThrow().balance())
          .isEqualTo(new BigDecimal(amounts.get(won)));
      assertThat(served.bank().repository().store().version(id)).isEqualTo(2);
    }
  }

  @Test
  void two_racing_password_changes_with_one_key_and_one_password_both_succeed() throws Exception {
    try (ServedBank served = ServedBank.inMemory(new Rendezvous(ChangePassword.class, 2))) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String id = alice.open("Pat", "0.00");
      Supplier<Reply> change =
          () ->
              post(
                  alice, "/accounts/" + id + "/password", "{\"password\":\"same-Passw0rd\"}", "pw");

      List<Reply> replies = race(List.of(change, change));

      // Each made its own salted hash; the one that lost is checked against the winner's.
      assertThat(replies).extracting(Reply::status).containsExactly(200, 200);
      assertThat(replies.get(0).body().get("version"))
          .isEqualTo(replies.get(1).body().get("version"));
      assertThat(served.bank().repository().store().version(id)).isEqualTo(2);
    }
  }

  @Test
  void of_two_racing_password_changes_with_one_key_and_other_passwords_one_is_refused()
      throws Exception {
    try (ServedBank served = ServedBank.inMemory(new Rendezvous(ChangePassword.class, 2))) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      String id = alice.open("Pat", "0.00");
      List<String> passwords = List.of("one-Passw0rd", "other-Passw0rd");

      List<Reply> replies =
          race(
              passwords.stream()
                  .map(
                      password ->
                          (Supplier<Reply>)
                              () ->
                                  post(
                                      alice,
                                      "/accounts/" + id + "/password",
                                      "{\"password\":\"" + password + "\"}",
                                      "pw"))
                  .toList());

      assertThat(replies).extracting(Reply::status).containsExactlyInAnyOrder(200, 422);
      int won = replies.get(0).status() == 200 ? 0 : 1;
      assertKeyReused(replies.get(1 - won));
      String hash = served.bank().service().findAccount(id).orElseThrow().passwordHash();
      assertThat(new PasswordHasher().matches(passwords.get(won), hash)).isTrue();
      assertThat(served.bank().repository().store().version(id)).isEqualTo(2);
    }
  }

  /** Sends the requests at once, a thread each, and returns their replies in the same order. */
  private static List<Reply> race(List<Supplier<Reply>> requests) {
    ExecutorService threads = Executors.newFixedThreadPool(requests.size());
    try {
      List<CompletableFuture<Reply>> sent =
          requests.stream()
              .map(request -> CompletableFuture.supplyAsync(request, threads))
              .toList();
      return sent.stream().map(CompletableFuture::join).toList();
    } finally {
      threads.shutdownNow();
    }
  }

  private static Reply post(ApiClient client, String path, String body, String key) {
    try {
      return client.post(path, body, key);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
