package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.ConnectionFactory;
import java.time.Duration;
import java.util.List;
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

    ConnectionFactory copy =
        ConnectionFactories.recovering(
            callers, new ConnectionSettings(null, null, null, Duration.ofMillis(250)));

    assertThat(copy).isNotSameAs(callers);
    assertThat(copy.isAutomaticRecoveryEnabled()).isTrue();
    assertThat(copy.isTopologyRecoveryEnabled()).isTrue();
    assertThat(copy.getNetworkRecoveryInterval()).isEqualTo(250);
    assertThat(copy.getHost()).isEqualTo("broker.example");
    assertThat(callers.isAutomaticRecoveryEnabled()).isFalse();
    assertThat(callers.isTopologyRecoveryEnabled()).isFalse();
  }

  @Test
  void a_factory_left_at_the_client_defaults_gets_the_bus_defaults_which_notice_a_hung_node_fast() {
    ConnectionFactory copy =
        ConnectionFactories.recovering(
            new ConnectionFactory(), new ConnectionSettings(null, null, null, null));

    assertThat(copy.getRequestedHeartbeat()).isEqualTo(5);
    assertThat(copy.getConnectionTimeout()).isEqualTo(5000);
    assertThat(copy.getHandshakeTimeout()).isEqualTo(10_000);
    assertThat(copy.getNetworkRecoveryInterval()).isEqualTo(2000);
  }

  @Test
  void a_callers_deliberate_factory_settings_stay_unless_the_builder_sets_them() {
    ConnectionFactory callers = new ConnectionFactory();
    callers.setRequestedHeartbeat(20);
    callers.setConnectionTimeout(3000);
    callers.setHandshakeTimeout(4000);
    callers.setNetworkRecoveryInterval(700);

    ConnectionFactory kept =
        ConnectionFactories.recovering(callers, new ConnectionSettings(null, null, null, null));
    ConnectionFactory overridden =
        ConnectionFactories.recovering(
            callers,
            new ConnectionSettings(
                Duration.ofSeconds(7),
                Duration.ofSeconds(1),
                Duration.ofSeconds(2),
                Duration.ofMillis(300)));

    assertThat(kept.getRequestedHeartbeat()).isEqualTo(20);
    assertThat(kept.getConnectionTimeout()).isEqualTo(3000);
    assertThat(kept.getHandshakeTimeout()).isEqualTo(4000);
    assertThat(kept.getNetworkRecoveryInterval()).isEqualTo(700);
    assertThat(overridden.getRequestedHeartbeat()).isEqualTo(7);
    assertThat(overridden.getConnectionTimeout()).isEqualTo(1000);
    assertThat(overridden.getHandshakeTimeout()).isEqualTo(2000);
    assertThat(overridden.getNetworkRecoveryInterval()).isEqualTo(300);
  }

  @Test
  void a_uri_whose_host_or_port_is_not_valid_is_refused_instead_of_connecting_to_localhost() {
    for (String uri :
        new String[] {
          "amqp://ada:s3cret@rabbit_1:5672/", "amqp://ada:s3cret@rabbit:fivek/", "amqp:///vhost"
        }) {
      Throwable thrown = catchThrowable(() -> ConnectionFactories.fromUri(uri));

      assertThat(thrown)
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("amqpUri has no valid host and port")
          .hasMessageNotContaining("s3cret");
    }
  }

  @Test
  void several_uris_give_one_node_each_and_must_share_credentials_and_virtual_host() {
    ConnectionFactories.Parsed parsed =
        ConnectionFactories.fromUris(
            List.of("amqp://ada:s3cret@node1:5676/shop", "amqp://ada:s3cret@node2/shop"));

    assertThat(parsed.nodes())
        .extracting(BrokerAddresses::describe)
        .containsExactly("node1:5676", "node2:5672");
    assertThat(parsed.factory().getUsername()).isEqualTo("ada");

    Throwable thrown =
        catchThrowable(
            () ->
                ConnectionFactories.fromUris(
                    List.of("amqp://ada:s3cret@node1/shop", "amqp://ada:other@node2/shop")));
    assertThat(thrown)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("amqpUris[1] differs from amqpUris[0]")
        .hasMessageNotContaining("s3cret")
        .hasMessageNotContaining("other");
  }

  @Test
  void a_comma_separated_list_is_split_before_each_scheme_so_a_comma_in_a_password_stays() {
    assertThat(
            ConnectionFactories.splitUris(
                "amqp://ada:pa,ss@node1:5676/shop, amqps://ada:pa,ss@node2/shop"))
        .containsExactly("amqp://ada:pa,ss@node1:5676/shop", "amqps://ada:pa,ss@node2/shop");
    assertThat(ConnectionFactories.splitUris("amqp://node1")).containsExactly("amqp://node1");
  }
}
