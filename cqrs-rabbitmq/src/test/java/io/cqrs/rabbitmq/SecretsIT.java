package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.rabbitmq.BrokerUsers.Role;
import io.cqrs.rabbitmq.BrokerUsers.User;
import io.cqrs.testing.ChildJvm;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Passwords in AMQP URIs never reach a log line or an exception of cqrs-rabbitmq: {@link
 * SecretsProbe} runs every path that logs or throws, in a child JVM logging everything at {@code
 * trace}, and its whole output is searched for the passwords.
 */
class SecretsIT {
  private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(120);

  private RabbitNamespace namespace;
  private BrokerUsers users;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("secrets");
    namespace.requireAdmin();
    users = new BrokerUsers(RabbitTestBroker.get());
  }

  @AfterEach
  void cleanUp() {
    users.close();
    namespace.deleteEverythingWithPrefix();
  }

  @Test
  void no_password_of_a_uri_appears_in_any_log_line_or_exception_message_or_stack_trace()
      throws Exception {
    User user = users.create("secrets", Role.operator(namespace.prefix()));
    String wrongPassword = "wrong-" + user.password();
    String vhost =
        URLEncoder.encode(namespace.connectionFactory().getVirtualHost(), StandardCharsets.UTF_8);
    String hostPort =
        namespace.connectionFactory().getHost() + ":" + namespace.connectionFactory().getPort();
    Map<String, String> environment =
        Map.of(
            SecretsProbe.URI_VARIABLE,
            "amqp://" + user.name() + ":" + user.password() + "@" + hostPort + "/" + vhost,
            SecretsProbe.WRONG_URI_VARIABLE,
            "amqp://" + user.name() + ":" + wrongPassword + "@" + hostPort + "/" + vhost,
            SecretsProbe.PREFIX_VARIABLE,
            namespace.prefix(),
            "JAVA_TOOL_OPTIONS",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace"
                + " -Dorg.slf4j.simpleLogger.logFile=System.out");

    String output;
    try (ChildJvm child = ChildJvm.start(SecretsProbe.class, environment)) {
      child.awaitLine("DONE", CHILD_TIMEOUT);
      output = String.join("\n", child.output()) + "\n" + child.describe();
    }

    // The scenarios ran, and took the paths that log and throw.
    assertThat(output)
        .contains("WORKED")
        .contains("replayed handled: true")
        .contains("command handled: true")
        .contains("Dead-lettering")
        .contains("UnroutableMessageException")
        .contains("refused the credentials")
        .contains("RESULT unreachable io.cqrs.rabbitmq.BrokerUnavailableException")
        .contains("RESULT host-with-underscore java.lang.IllegalArgumentException")
        .contains("RESULT port-not-a-number java.lang.IllegalArgumentException")
        .contains("RESULT bad-escape java.lang.IllegalArgumentException")
        .contains("RESULT bad-scheme java.lang.IllegalArgumentException")
        .contains("RESULT nodes-disagree java.lang.IllegalArgumentException")
        .contains("RESULT split-and-connect-wrong io.cqrs.NonTransientCqrsException")
        .contains("DEBUG");
    assertThat(output).doesNotContain(user.password()).doesNotContain(wrongPassword);
  }
}
