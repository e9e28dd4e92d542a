package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line's parsing, help and exit codes; nothing here connects to a server. */
class BankCommandLineTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return BankApplication.run(
        args,
        Map.of(),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        new CountDownLatch(1));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "deploy | Unknown command 'deploy'; the commands are demo, serve, worker, rebuild,"
            + " declare-topology",
        "--colour | Unknown option: '--colour'",
        "serve --port http | Invalid value for option '--port': must be a number from 0 to"
            + " 65535, was 'http'",
        "serve --port 65536 | Invalid value for option '--port': must be a number from 0 to"
            + " 65535, was '65536'",
        "serve --port -1 | Invalid value for option '--port': must be a number from 0 to 65535,"
            + " was '-1'",
        "serve --port | Missing required parameter for option '--port'",
        "--port 8080 | Unknown options: '--port', '8080'",
        "worker --port 8080 | Unknown options: '--port', '8080'",
        "serve --metrics-port 9090 | Unknown options: '--metrics-port', '9090'",
        "--store postgres | Invalid value for option '--store': expected one of memory, couchbase,"
            + " was 'postgres'",
        "serve --bus kafka | Invalid value for option '--bus': expected one of memory, rabbitmq,"
            + " was 'kafka'",
        "--rabbitmq-queue-type stream | Invalid value for option '--rabbitmq-queue-type': expected"
            + " one of classic, quorum, was 'stream'",
        "serve --listeners 0 | Invalid value for option '--listeners': must be a number from 1 to"
            + " 64, was '0'",
        "serve --listeners 65 | Invalid value for option '--listeners': must be a number from 1 to"
            + " 64, was '65'",
        "--listeners 2 | Unknown options: '--listeners', '2'",
        "serve --max-connections 0 | Invalid value for option '--max-connections': must be a"
            + " number from 1 to 100000, was '0'",
        "worker --max-connections 10 | Unknown options: '--max-connections', '10'",
        "--prefix no.spaces! | Invalid value for option '--prefix': must be 1 to 40 characters of"
            + " [A-Za-z0-9_.-], was 'no.spaces!'",
        "worker --store couchbase --bus rabbitmq --host 0.0.0.0 | --host is for worker with"
            + " --metrics-port",
        "worker | worker needs a store and buses shared with other processes: --store couchbase"
            + " --bus rabbitmq",
        "rebuild | rebuild needs --store couchbase",
        "rebuild --store couchbase --couchbase-connection couchbase://db --couchbase-username u"
            + " --couchbase-password p --generation no_underscores | Invalid value for option"
            + " '--generation': must be letters, digits and '-', 1 to 40 of them, was"
            + " 'no_underscores'",
        "serve extra | Unmatched argument at index 1: 'extra'",
        "--verbose=yes | Invalid value for option '--verbose': 'yes' is not a boolean",
      })
  void a_wrong_command_line_exits_2_with_what_is_wrong_and_where_help_is(
      String line, String message) {
    String[] args = line.split(" ");

    assertThat(run(args)).as(err()).isEqualTo(2);

    assertThat(err()).contains("example-bank: " + message).contains("--help' for usage");
    assertThat(out()).isEmpty();
  }

  @ParameterizedTest(name = "{0} --help")
  @ValueSource(strings = {"demo", "serve", "worker", "rebuild", "declare-topology"})
  void each_command_has_help_with_its_options_defaults_variables_and_exit_codes(String command) {
    assertThat(run(command, "--help")).isZero();

    assertThat(out())
        .contains("Usage: example-bank " + command)
        .contains("--store=<store>")
        .contains("memory, couchbase")
        .contains("--prefix=<prefix>")
        .contains("default: bank")
        .contains("CQRS_RABBITMQ_URI")
        .contains("CQRS_COUCHBASE_CONNECTION")
        .contains("CQRS_COUCHBASE_BUCKET")
        .contains("default: cqrs")
        .contains("CQRS_RABBITMQ_QUEUE_TYPE")
        .contains("CQRS_RABBITMQ_DECLARE_TOPOLOGY")
        .contains("Exit codes:")
        .contains("0   ")
        .contains("2   ")
        .contains("70  ");
    assertThat(err()).isEmpty();
  }

  @Test
  void serve_help_shows_its_http_options_and_their_defaults() {
    assertThat(run("serve", "--help")).isZero();

    assertThat(out().replaceAll("\\s+", " "))
        .contains("--host=<host>")
        .contains("default: 127.0.0.1")
        .contains("--port=<port>")
        .contains("default: 8080")
        .contains("--listeners=<listeners>")
        .contains("default: 2");
  }

  @Test
  void the_top_level_help_lists_the_commands_and_the_exit_codes() {
    assertThat(run("--help")).isZero();

    assertThat(out())
        .contains("Usage: example-bank")
        .contains("demo")
        .contains("serve")
        .contains("worker")
        .contains("rebuild")
        .contains("Exit codes:")
        .contains("70  ");
  }

  @Test
  void help_and_version_are_answered_on_the_top_level_too() {
    assertThat(run("-h")).isZero();
    assertThat(run("--version")).isZero();

    assertThat(out()).containsPattern("example-bank \\d+\\.\\d+\\.\\d+");
  }

  @Test
  void options_alone_still_run_the_demo_as_the_readme_says() {
    assertThat(run("--store", "memory")).as(err()).isZero();

    assertThat(out()).contains("Read model in sync with write model: yes");
  }

  @ParameterizedTest(name = "example-bank {0} --help")
  @ValueSource(strings = {"", "demo", "serve", "worker", "rebuild", "declare-topology"})
  void the_help_in_the_docs_is_what_the_command_prints(String command) throws Exception {
    String docs = Files.readString(Path.of("..", "docs", "example-bank-cli.md"));
    String heading = "### `example-bank " + (command.isEmpty() ? "" : command + " ") + "--help`";
    int start = docs.indexOf("```text\n", docs.indexOf(heading)) + "```text\n".length();
    String documented = docs.substring(start, docs.indexOf("```", start));

    assertThat(command.isEmpty() ? run("--help") : run(command, "--help")).isZero();

    assertThat(out().replace(System.lineSeparator(), "\n"))
        .as("docs/example-bank-cli.md, under %s", heading)
        .isEqualTo(documented);
  }
}
