package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BrokerAddressesTest {
  private static final List<Address> NODES =
      List.of(new Address("n1", 5676), new Address("n2", 5677), new Address("n3", 5678));

  @Test
  void addresses_parse_with_and_without_port_and_ipv6_in_brackets() {
    assertThat(BrokerAddresses.describe(BrokerAddresses.parse("rabbit-1.example", 5672, "a")))
        .isEqualTo("rabbit-1.example:5672");
    assertThat(BrokerAddresses.describe(BrokerAddresses.parse(" 10.0.0.7:5673 ", 5672, "a")))
        .isEqualTo("10.0.0.7:5673");
    assertThat(BrokerAddresses.describe(BrokerAddresses.parse("[::1]:5674", 5672, "a")))
        .isEqualTo("[::1]:5674");
    assertThat(BrokerAddresses.describe(BrokerAddresses.parse("[fe80::1]", 5671, "a")))
        .isEqualTo("[fe80::1]:5671");
  }

  @Test
  void a_malformed_address_is_refused_naming_the_setting() {
    for (String bad :
        new String[] {
          "",
          "rabbit_1:5672",
          "rabbit:0",
          "rabbit:65536",
          "rabbit:56a2",
          "rabbit:",
          "::1:5672",
          "[::1",
          "[::1]5672",
          "user@rabbit:5672",
          "rabbit:5672/vhost"
        }) {
      Throwable thrown = catchThrowable(() -> BrokerAddresses.parse(bad, 5672, "addresses[2]"));

      assertThat(thrown)
          .as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("addresses[2] is not a broker address");
    }
  }

  @Test
  void each_attempt_tries_every_node_starting_one_further_along_so_a_hung_node_is_not_first_again()
      throws IOException {
    AddressResolver resolver = BrokerAddresses.of(NODES, "/").forConnection();

    List<Address> first = resolver.getAddresses();
    List<Address> second = resolver.getAddresses();
    List<Address> third = resolver.getAddresses();

    assertThat(first).containsExactlyInAnyOrderElementsOf(NODES);
    assertThat(second).containsExactlyInAnyOrderElementsOf(NODES);
    assertThat(Set.of(first.get(0), second.get(0), third.get(0))).hasSize(3);
    assertThat(second.get(0)).isEqualTo(first.get(1));
    assertThat(resolver.maybeShuffle(first)).isEqualTo(first);
  }

  @Test
  void connections_of_one_bus_start_at_different_nodes_and_buses_shuffle_the_list() {
    BrokerAddresses bus = BrokerAddresses.of(NODES, "/");
    Address publishing = firstOf(bus.forConnection());
    Address consuming = firstOf(bus.forConnection());
    assertThat(consuming).isNotEqualTo(publishing);

    Set<Address> firstNodes = new HashSet<>();
    for (int i = 0; i < 200 && firstNodes.size() < 3; i++) {
      firstNodes.add(BrokerAddresses.of(NODES, "/").nodes().get(0));
    }
    assertThat(firstNodes).hasSize(3); // 200 buses all starting at one node: odds 3 * (1/3)^200
  }

  @Test
  void the_description_names_nodes_and_virtual_host_only() {
    BrokerAddresses one = BrokerAddresses.of(List.of(new Address("rabbit", 5672)), "shop");
    assertThat(one.describe()).isEqualTo("rabbit:5672/shop");
    assertThat(BrokerAddresses.of(NODES, "/").describe()).matches("n\\d:567\\d(,n\\d:567\\d){2}//");
  }

  private static Address firstOf(AddressResolver resolver) {
    try {
      return resolver.getAddresses().get(0);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
