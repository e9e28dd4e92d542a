package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Which broker the integration tests take: a set URI, else the local one, else Docker, else none.
 */
class BrokerChoiceTest {
  private static final String URI = "amqp://app:s3cret@rabbit.example:5672/%2f";

  private final List<String> probed = new ArrayList<>();

  @Test
  void a_set_uri_wins_and_nothing_else_is_probed() {
    BrokerChoice choice = BrokerChoice.choose(URI, local(true), docker(true));

    assertThat(choice.kind()).isEqualTo(BrokerChoice.Kind.URI);
    assertThat(choice.uri()).isEqualTo(URI);
    assertThat(choice.reason()).isEqualTo("CQRS_RABBITMQ_URI is set").doesNotContain("s3cret");
    assertThat(probed).isEmpty();
  }

  @Test
  void without_a_uri_the_local_broker_is_taken_when_it_answers_and_docker_is_not_asked() {
    BrokerChoice choice = BrokerChoice.choose(null, local(true), docker(true));

    assertThat(choice.kind()).isEqualTo(BrokerChoice.Kind.LOCAL);
    assertThat(choice.uri()).isEqualTo("amqp://guest:guest@127.0.0.1:5672/%2f");
    assertThat(choice.reason())
        .isEqualTo(
            "CQRS_RABBITMQ_URI is not set and a RabbitMQ answers at 127.0.0.1:5672"
                + " (guest/guest, vhost /)");
    assertThat(probed).containsExactly("local");
  }

  @Test
  void a_blank_uri_counts_as_not_set() {
    assertThat(BrokerChoice.choose("  ", local(true), docker(false)).kind())
        .isEqualTo(BrokerChoice.Kind.LOCAL);
  }

  @Test
  void without_a_uri_or_a_local_broker_a_container_is_started_where_docker_answers() {
    BrokerChoice choice = BrokerChoice.choose(null, local(false), docker(true));

    assertThat(choice.kind()).isEqualTo(BrokerChoice.Kind.CONTAINER);
    assertThat(choice.uri()).isNull();
    assertThat(choice.reason())
        .contains("no RabbitMQ answers at 127.0.0.1:5672")
        .contains("ConnectException: Connection refused")
        .endsWith("a Docker engine answers: a RabbitMQContainer");
    assertThat(probed).containsExactly("local", "docker");
  }

  @Test
  void with_nothing_at_all_the_tests_are_told_what_to_do() {
    BrokerChoice choice = BrokerChoice.choose(null, local(false), docker(false));

    assertThat(choice.kind()).isEqualTo(BrokerChoice.Kind.NONE);
    assertThat(choice.reason())
        .startsWith("No RabbitMQ for integration tests: CQRS_RABBITMQ_URI is not set")
        .contains("ConnectException: Connection refused")
        .contains("no Docker engine answers")
        .contains("start RabbitMQ on this machine")
        .contains("set CQRS_RABBITMQ_URI=amqp://USER:PASSWORD@HOST:5672/%2f")
        .contains("start a Docker engine");
    assertThat(probed).containsExactly("local", "docker");
  }

  private Supplier<BrokerChoice.LocalProbe> local(boolean answers) {
    return () -> {
      probed.add("local");
      return answers
          ? BrokerChoice.LocalProbe.answered()
          : BrokerChoice.LocalProbe.failed("ConnectException: Connection refused");
    };
  }

  private BooleanSupplier docker(boolean answers) {
    return () -> {
      probed.add("docker");
      return answers;
    };
  }
}
