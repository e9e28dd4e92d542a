package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.example.bank.Await;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may call the API: configuration read strictly, secrets never in the clear, slow checks
 * rationed and guessing throttled.
 */
class ApiUsersTest {
  private static final PasswordHasher CHEAP = new PasswordHasher(1_000);

  private static String basic(String user, String secret) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void a_configured_user_signs_in_with_its_secret_and_nothing_else() {
    ApiUsers users = ApiUsers.parse("ada:" + CHEAP.hash("her-secret-1") + ":admin");

    assertThat(users.authenticate(basic("ada", "her-secret-1")))
        .contains(new ApiUsers.User("ada", true));
    assertThat(users.authenticate(basic("ada", "her-secret-1"))).isPresent();
    assertThat(users.slowChecks()).as("a verified credential is remembered").isEqualTo(1);
    assertThat(users.authenticate(basic("ada", "her-secret-2"))).isEmpty();
    assertThat(users.authenticate(basic("ada", "her-secret-2"))).isEmpty();
    assertThat(users.slowChecks()).as("a refused one too").isEqualTo(2);
    assertThat(users.authenticate(basic("bob", "her-secret-1"))).isEmpty();
    assertThat(users.authenticate("Bearer x")).isEmpty();
    assertThat(users.authenticate("Basic !!!not-base64")).isEmpty();
    assertThat(users.authenticate(null)).isEmpty();
    assertThat(users.authenticate(basic("ada", "x".repeat(1_000)))).isEmpty();
  }

  @Test
  void a_client_that_keeps_failing_as_one_name_is_answered_429_for_that_name_alone() {
    ApiUsers users =
        ApiUsers.parse("ada:" + CHEAP.hash("her-secret-1") + ",bob:" + CHEAP.hash("his-secret-1"));
    String proxy = "10.0.0.66";
    for (int i = 0; i < ApiUsers.MAX_FAILURES_PER_MINUTE; i++) {
      assertThat(users.authenticate(basic("ada", "guess-" + i), proxy)).isEmpty();
      assertThat(users.authenticate(basic("nobody", "guess-" + i), proxy)).isEmpty();
    }
    long checks = users.slowChecks();

    assertThatThrownBy(() -> users.authenticate(basic("ada", "her-secret-1"), proxy))
        .isInstanceOf(ApiException.class)
        .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(429));
    assertThatThrownBy(() -> users.authenticate(basic("nobody", "guess-x"), proxy))
        .as("an unknown name is throttled alike: the throttle does not tell which names exist")
        .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(429));
    assertThat(users.slowChecks()).isEqualTo(checks);
    assertThat(users.authenticate(basic("bob", "his-secret-1"), proxy))
        .as("another user behind the same proxy")
        .isPresent();
    assertThat(users.authenticate(basic("ada", "her-secret-1"), "10.0.0.7")).isPresent();
  }

  @Test
  void a_remembered_credential_is_never_refused_by_the_failure_throttle() {
    ApiUsers users = ApiUsers.parse("ada:" + CHEAP.hash("her-secret-1"));
    String proxy = "10.0.0.66";
    assertThat(users.authenticate(basic("ada", "her-secret-1"), proxy)).isPresent();
    for (int i = 0; i < ApiUsers.MAX_FAILURES_PER_MINUTE + 5; i++) {
      try {
        users.authenticate(basic("ada", "guess-" + i), proxy);
      } catch (ApiException throttled) {
        assertThat(throttled.status()).isEqualTo(429);
      }
    }
    long checks = users.slowChecks();

    assertThat(users.authenticate(basic("ada", "her-secret-1"), proxy)).isPresent();
    assertThat(users.slowChecks()).as("answered from memory").isEqualTo(checks);
  }

  @Test
  void a_burst_of_sign_ins_waits_for_a_free_check_and_only_those_beyond_the_queue_get_503()
      throws Exception {
    CheckSlots slots = new CheckSlots(2, 1, Duration.ofSeconds(30));
    CountDownLatch running = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 2; i++) {
        threads.submit(
            () ->
                slots.run(
                    () -> {
                      running.countDown();
                      return awaitQuietly(release);
                    }));
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).as("both checks run").isTrue();
      CompletableFuture<Boolean> third = new CompletableFuture<>();
      Thread waiting =
          new Thread(
              () -> {
                try {
                  third.complete(slots.run(() -> true));
                } catch (RuntimeException e) {
                  third.completeExceptionally(e);
                }
              });
      waiting.start();
      Await.await("the third sign-in to wait for a check")
          .atMost(Duration.ofSeconds(10))
          .until(() -> third.isDone() || waiting.getState() == Thread.State.TIMED_WAITING);

      assertThatThrownBy(() -> slots.run(() -> true))
          .as("the fourth finds the queue full")
          .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(503));
      release.countDown();
      assertThat(third.get(10, TimeUnit.SECONDS))
          .as("the third was served once a check ended")
          .isTrue();
    } finally {
      release.countDown();
      threads.shutdownNow();
    }
  }

  @Test
  void a_sign_in_that_waited_past_the_wait_gets_503_busy() throws Exception {
    CheckSlots slots = new CheckSlots(1, 5, Duration.ofMillis(100));
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      thread.submit(
          () ->
              slots.run(
                  () -> {
                    running.countDown();
                    return awaitQuietly(release);
                  }));
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

      assertThatThrownBy(() -> slots.run(() -> true))
          .isInstanceOf(ApiException.class)
          .satisfies(
              e -> {
                assertThat(((ApiException) e).status()).isEqualTo(503);
                assertThat(((ApiException) e).code()).isEqualTo("busy");
              });
    } finally {
      release.countDown();
      thread.shutdownNow();
    }
  }

  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void malformed_configuration_is_refused_naming_the_entry_never_the_secret() {
    String hash = CHEAP.hash("a-secret-99");

    assertThatThrownBy(() -> ApiUsers.parse("ada:plain-secret-in-the-clear"))
        .hasMessageContaining("ada")
        .hasMessageContaining("never in the clear")
        .hasMessageNotContaining("plain-secret");
    assertThatThrownBy(() -> ApiUsers.parse("ada:" + hash + ",ada:" + hash))
        .hasMessageContaining("'ada' is given twice");
    assertThatThrownBy(() -> ApiUsers.parse("a b:" + hash)).hasMessageContaining("entry 1");
    assertThatThrownBy(() -> ApiUsers.parse("ada:" + hash + ":root"))
        .hasMessageContaining("name:hash:admin");
    assertThatThrownBy(() -> ApiUsers.parse(" , ")).hasMessageContaining("no API user");
    assertThatThrownBy(
            () ->
                ApiUsers.fromEnvironment(
                    Map.of("BANK_API_USERS", "x", "BANK_API_USERS_FILE", "/y")))
        .hasMessageContaining("not both");
  }

  @Test
  void users_come_from_a_file_one_per_line(@TempDir Path directory) throws Exception {
    Path file = directory.resolve("users");
    Files.writeString(
        file,
        "ada:" + CHEAP.hash("ada-secret-1") + "\nbob:" + CHEAP.hash("bob-secret-1") + ":admin\n");

    ApiUsers users =
        ApiUsers.fromEnvironment(Map.of("BANK_API_USERS_FILE", file.toString())).orElseThrow();

    assertThat(users.size()).isEqualTo(2);
    assertThat(users.authenticate(basic("bob", "bob-secret-1")))
        .contains(new ApiUsers.User("bob", true));
    assertThat(ApiUsers.fromEnvironment(Map.of())).isEmpty();
  }

  /**
   * A file saved with a byte order mark reads as one without (its first user was refused as a bad
   * name); a blank variable counts as unset; a missing file is named as missing.
   */
  @Test
  void a_users_file_with_a_byte_order_mark_a_blank_variable_and_a_missing_file(
      @TempDir Path directory) throws Exception {
    Path file = directory.resolve("users");
    Files.writeString(file, "\uFEFFada:" + CHEAP.hash("ada-secret-1") + "\n");

    ApiUsers users =
        ApiUsers.fromEnvironment(Map.of("BANK_API_USERS_FILE", file.toString())).orElseThrow();

    assertThat(users.authenticate(basic("ada", "ada-secret-1")))
        .contains(new ApiUsers.User("ada", false));
    assertThat(ApiUsers.fromEnvironment(Map.of("BANK_API_USERS", " "))).isEmpty();
    assertThat(
            ApiUsers.fromEnvironment(
                    Map.of("BANK_API_USERS", "", "BANK_API_USERS_FILE", file.toString()))
                .orElseThrow()
                .size())
        .isEqualTo(1);
    assertThatThrownBy(
            () ->
                ApiUsers.fromEnvironment(
                    Map.of("BANK_API_USERS_FILE", directory.resolve("missing").toString())))
        .hasMessageEndingWith("': no such file");
  }

  @Test
  void a_generated_administrator_signs_in_with_the_printed_secret_and_its_entry_keeps_it() {
    ApiUsers.Generated generated = ApiUsers.generate();

    assertThat(generated.users().authenticate(basic("admin", generated.secret())))
        .contains(new ApiUsers.User("admin", true));
    assertThat(generated.entry()).doesNotContain(generated.secret());
    assertThat(ApiUsers.parse(generated.entry()).authenticate(basic("admin", generated.secret())))
        .isPresent();
    assertThat(ApiUsers.generate().secret()).isNotEqualTo(generated.secret());
  }

  @Test
  void hash_secret_reads_standard_input_and_prints_a_hash_that_matches() throws Exception {
    InputStream stdin = System.in;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setIn(new ByteArrayInputStream("sesame-street-9\n".getBytes(StandardCharsets.UTF_8)));
      int status =
          HashSecret.run(
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(status).isZero();
      System.setIn(new ByteArrayInputStream("short\n".getBytes(StandardCharsets.UTF_8)));
      assertThat(HashSecret.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)))
          .isEqualTo(2);
    } finally {
      System.setIn(stdin);
    }
    String hash = out.toString(StandardCharsets.UTF_8).strip();
    assertThat(CHEAP.matches("sesame-street-9", hash)).isTrue();
    assertThat(hash).doesNotContain("sesame");
  }
}
