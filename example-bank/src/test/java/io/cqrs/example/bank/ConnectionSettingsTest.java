package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.ConnectionFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The RabbitMQ URIs and Couchbase settings are checked before anything connects: a malformed one is
 * a usage error that names the flag or variable it came from and what is wrong with it, never a
 * silent default, and never prints the password.
 */
class ConnectionSettingsTest {
  private static final String PASSWORD = "s3cretpw";

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> environment, String... args) {
    return BankApplication.run(
        args,
        environment,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        new CountDownLatch(1));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void the_client_library_alone_turns_an_underscore_host_into_localhost_as_guest()
      throws Exception {
    // The finding, reproduced: java.net.URI has no host for 'rabbit_mq', and setUri keeps the
    // defaults it had, so a typo connects to a local broker as guest/guest without a word.
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://bank:" + PASSWORD + "@rabbit_mq:5672/%2f");

    assertThat(factory.getHost()).isEqualTo("localhost");
    assertThat(factory.getUsername()).isEqualTo("guest");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "amqp://bank:s3cretpw@rabbit_mq:5672/%2f | host 'rabbit_mq' is not a valid host name",
        "amqp://bank:s3cretpw@mq.example:amqp/%2f | port is not a number",
        "amqp://bank:s3cretpw@mq.example:65536/%2f | port 65536 is out of range 1 to 65535",
        "amqp://bank:s3cretpw@mq.example:0/%2f | port 0 is out of range 1 to 65535",
        "http://bank:s3cretpw@mq.example:5672/%2f | scheme must be amqp or amqps, was 'http'",
        "amqp://bank:s3cretpw@:5672/%2f | has no host",
        "amqp:///%2f | has no host",
        "mq.example:5672 | must start with amqp:// or amqps://",
        "amqp://bank:s3cretpw@mq.example:5672/a/b | virtual host 'a/b' holds a '/'",
        "amqp://bank:s3cretpw@mq.example:5672/%zz | is not percent-encoded correctly",
        "amqp://bank:s3cr/tpw@mq.example:5672/%2f | user info holds characters that must be",
      })
  void a_malformed_rabbitmq_uri_flag_is_a_usage_error_naming_the_flag(String uri, String what) {
    assertThat(run(Map.of(), "--bus", "rabbitmq", "--rabbitmq-uri", uri)).isEqualTo(2);

    assertThat(err()).contains("--rabbitmq-uri").contains(what).doesNotContain(PASSWORD);
    assertThat(err()).doesNotContain("s3cr/tpw");
  }

  @Test
  void a_malformed_rabbitmq_uri_variable_is_a_usage_error_naming_the_variable() {
    Map<String, String> environment =
        Map.of("CQRS_RABBITMQ_URI", "amqp://bank:s3cretpw@rabbit_mq:5672/%2f");

    assertThat(run(environment, "--bus", "rabbitmq")).isEqualTo(2);

    assertThat(err())
        .contains("CQRS_RABBITMQ_URI")
        .contains("host 'rabbit_mq' is not a valid host name")
        .doesNotContain(PASSWORD);
  }

  @Test
  void each_uri_of_a_list_is_checked_and_named_by_its_place() {
    String uris = "amqp://bank:s3cretpw@mq1:5672/%2f,amqp://bank:s3cretpw@mq_2:5672/%2f";

    assertThat(run(Map.of("CQRS_RABBITMQ_URI", uris), "--bus", "rabbitmq")).isEqualTo(2);

    assertThat(err())
        .contains("CQRS_RABBITMQ_URI, URI 2 of 2")
        .contains("host 'mq_2'")
        .doesNotContain(PASSWORD);
  }

  @Test
  void the_nodes_of_one_list_share_scheme_user_password_and_virtual_host() {
    String uris = "amqp://bank:s3cretpw@mq1:5672/%2f,amqp://bank:other@mq2:5672/%2f";

    assertThat(run(Map.of(), "--bus", "rabbitmq", "--rabbitmq-uri", uris)).isEqualTo(2);

    assertThat(err())
        .contains("--rabbitmq-uri, URI 2 of 2")
        .contains("differs from URI 1")
        .doesNotContain(PASSWORD)
        .doesNotContain("other");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "http://db.example | scheme must be couchbase or couchbases, was 'http'",
        "couchbase://db_1.example | host 'db_1.example' is not a valid host name",
        "couchbase://db.example:http | port is not a number",
        "couchbase://db.example:70000 | port 70000 is out of range 1 to 65535",
        "couchbase:// | has no host",
        "couchbase://db.example,,db2 | host 2 of 3 is empty",
        "couchbase://127.0.0.1:11210=memcached | mode 'memcached' must be kv or manager",
        "db.example | must start with couchbase:// or couchbases://",
      })
  void a_malformed_couchbase_connection_is_a_usage_error_naming_the_setting(
      String connection, String what) {
    Map<String, String> environment =
        Map.of(
            "CQRS_COUCHBASE_CONNECTION", connection,
            "CQRS_COUCHBASE_USERNAME", "bank",
            "CQRS_COUCHBASE_PASSWORD", PASSWORD);

    assertThat(run(environment, "--store", "couchbase")).isEqualTo(2);

    assertThat(err()).contains("CQRS_COUCHBASE_CONNECTION").contains(what).doesNotContain(PASSWORD);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "a bucket | must be 1 to 100 characters of A-Z, a-z, 0-9, '_', '-', '.', '%'",
        ".hidden | must not start with '.'",
      })
  void a_bucket_name_against_couchbases_rules_is_a_usage_error(String bucket, String what) {
    assertThat(
            run(
                Map.of("CQRS_COUCHBASE_PASSWORD", PASSWORD),
                "--store",
                "couchbase",
                "--couchbase-connection",
                "couchbase://db.example",
                "--couchbase-username",
                "bank",
                "--couchbase-bucket",
                bucket))
        .isEqualTo(2);

    assertThat(err()).contains("--couchbase-bucket").contains(what).doesNotContain(PASSWORD);
  }
}
