package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar, started as its own process the way the README tells newcomers to run it.
 * Failsafe runs this after {@code package} has built {@code target/example-bank.jar}.
 */
class BankJarIT {
  private static final Path JAR = Path.of("target", "example-bank.jar");
  private static final long TIMEOUT_SECONDS = 120;

  @BeforeAll
  static void theJarIsBuilt() {
    assertThat(JAR).as("run `package` first; it builds %s", JAR.toAbsolutePath()).isRegularFile();
  }

  private static ProcessBuilder java(String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  /** What a finished process printed and returned. */
  private record Run(int exitCode, String out, String err) {}

  private static Run runToEnd(String... args) throws Exception {
    Path out = Files.createTempFile("example-bank", ".out");
    Path err = Files.createTempFile("example-bank", ".err");
    try {
      Process process = java(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            "example-bank.jar did not finish within " + TIMEOUT_SECONDS + " s");
      }
      return new Run(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Test
  void the_jar_runs_the_scenario_and_prints_the_models_quietly() throws Exception {
    Run run = runToEnd();

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("cqrs example bank: the andrewwebber/cqrs scenario")
        .contains("Accounts read model")
        .contains("Users read model")
        .contains("Transfers read model")
        .contains("Write model reloaded from history")
        .contains("Events of correlation ")
        .contains("MoneyTransferCompleted")
        .contains("Read model in sync with write model: yes");
    assertThat(run.err().lines().filter(line -> !line.startsWith("Picked up "))).isEmpty();
  }

  @Test
  void the_jar_explains_itself() throws Exception {
    Run run = runToEnd("--help");
    Run serve = runToEnd("serve", "--help");
    Run version = runToEnd("--version");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("demo", "serve", "worker", "rebuild", "Exit codes:");
    assertThat(serve.exitCode()).isZero();
    assertThat(serve.out()).contains("--store=<store>", "memory, couchbase", "CQRS_RABBITMQ_URI");
    assertThat(version.exitCode()).isZero();
    // The version the build filtered into the jar, not the fallback of a missing resource.
    assertThat(version.out()).containsPattern("example-bank \\d+\\.\\d+\\.\\d+");
  }

  @Test
  void the_jar_serves_http_until_it_is_terminated() throws Exception {
    Process process = java("serve", "--port", "0").redirectErrorStream(true).start();
    try {
      URI base = awaitListening(process);

      HttpResponse<String> health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve("health")).build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(health.statusCode()).isEqualTo(200);
    } finally {
      process.destroy();
    }
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
  }

  /** Reads the process's output until it says where it listens. */
  private static URI awaitListening(Process process) throws IOException {
    Pattern listening = Pattern.compile("listening on (http://\\S+/)");
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    // readLine returns null when the process exits, so this cannot wait forever.
    while ((line = lines.readLine()) != null) {
      seen.append(line).append('\n');
      Matcher matcher = listening.matcher(line);
      if (matcher.find()) {
        return URI.create(matcher.group(1));
      }
    }
    throw new AssertionError("The server exited without listening:\n" + seen);
  }
}
