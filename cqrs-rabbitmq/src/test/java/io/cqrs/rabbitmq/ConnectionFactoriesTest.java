package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.ConnectionFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectionFactoriesTest {

  @Test
  void an_amqp_uri_sets_host_port_virtual_host_and_credentials() {
    ConnectionFactory factory =
        ConnectionFactories.fromUri("amqp://ada:s3cret@broker.example:5673/shop");

    assertThat(factory.getHost()).isEqualTo("broker.example");
    assertThat(factory.getPort()).isEqualTo(5673);
    assertThat(factory.getVirtualHost()).isEqualTo("shop");
    assertThat(factory.getUsername()).isEqualTo("ada");
    assertThat(factory.getPassword()).isEqualTo("s3cret");
    assertThat(factory.isSSL()).isFalse();
  }

  @Test
  void an_amqps_uri_uses_tls_on_port_5671_unless_another_port_is_given() {
    assertThat(ConnectionFactories.fromUri("amqps://ada:s3cret@broker.example/shop"))
        .satisfies(f -> assertThat(f.isSSL()).isTrue())
        .satisfies(f -> assertThat(f.getPort()).isEqualTo(5671));
    assertThat(ConnectionFactories.fromUri("AMQPS://broker.example:6000").getPort())
        .isEqualTo(6000);
  }

  @Test
  void a_bad_uri_is_rejected_without_repeating_it() {
    Throwable malformed =
        catchThrowable(() -> ConnectionFactories.fromUri("amqp://ada:s3cret@bad host/"));
    Throwable otherScheme =
        catchThrowable(() -> ConnectionFactories.fromUri("http://ada:s3cret@host/"));

    assertThat(malformed).isInstanceOf(IllegalArgumentException.class).hasNoCause();
    assertThat(malformed.getMessage()).contains("amqpUri").doesNotContain("s3cret");
    assertThat(otherScheme).isInstanceOf(IllegalArgumentException.class);
    assertThat(otherScheme.getMessage()).contains("'http'").doesNotContain("s3cret");
  }

  @Test
  void a_broker_is_described_by_host_port_and_virtual_host_only() {
    ConnectionFactory factory =
        ConnectionFactories.fromUri("amqp://ada:s3cret@broker.example/shop");

    assertThat(ConnectionFactories.describe(factory)).isEqualTo("broker.example:5672/shop");
  }

  @Test
  void the_bus_recovers_on_a_copy_and_leaves_the_callers_factory_as_it_was() {
    ConnectionFactory callers = new ConnectionFactory();
    callers.setAutomaticRecoveryEnabled(false);
    callers.setTopologyRecoveryEnabled(false);
    callers.setHost("broker.example");

    ConnectionFactory copy = ConnectionFactories.recovering(callers, Duration.ofMillis(250));

    assertThat(copy).isNotSameAs(callers);
    assertThat(copy.isAutomaticRecoveryEnabled()).isTrue();
    assertThat(copy.isTopologyRecoveryEnabled()).isTrue();
    assertThat(copy.getNetworkRecoveryInterval()).isEqualTo(250);
    assertThat(copy.getHost()).isEqualTo("broker.example");
    assertThat(callers.isAutomaticRecoveryEnabled()).isFalse();
    assertThat(callers.isTopologyRecoveryEnabled()).isFalse();
  }
}
