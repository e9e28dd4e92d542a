package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.Connection;
import io.cqrs.example.bank.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The harness's own RabbitMQ node, which it may stop and start: skipped where RabbitMQ is not
 * installed, since then the soak run skips the broker restart fault instead.
 */
class PrivateBrokerIT {

  @Test
  void a_private_node_serves_amqp_survives_stop_app_and_leaves_no_process_behind()
      throws Exception {
    assumeTrue(PrivateBroker.unavailable().isEmpty(), () -> PrivateBroker.unavailable().get());
    Path directory = Files.createDirectories(Path.of("target", "private-broker-it"));
    long pid;
    try (PrivateBroker broker = PrivateBroker.start(directory, Duration.ofSeconds(120));
        BrokerControl control = BrokerControl.of(broker)) {
      pid = Long.parseLong(Files.readString(broker.pidFile()).strip());
      Connection connection = broker.connectionFactory().newConnection("private-broker-it");
      assertThat(connection.isOpen()).isTrue();
      assertThat(control.mayStopBroker()).isTrue();

      control.stopApp();

      Await.await("the connection to close")
          .atMost(Duration.ofSeconds(30))
          .until(() -> !connection.isOpen());
      assertThatThrownBy(() -> broker.connectionFactory().newConnection()).isNotNull();
      control.startApp();
      try (Connection again = broker.connectionFactory().newConnection("private-broker-it")) {
        assertThat(again.isOpen()).isTrue();
      }
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void the_shared_broker_is_never_stopped() {
    BrokerControl shared = BrokerControl.shared(new com.rabbitmq.client.ConnectionFactory());

    assertThat(shared.mayStopBroker()).isFalse();
    assertThatThrownBy(shared::stopApp)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("private node");
  }
}
