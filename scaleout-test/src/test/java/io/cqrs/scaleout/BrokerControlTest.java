package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokerControlTest {

  @Test
  void connections_are_grouped_by_the_port_of_the_node_that_holds_them() {
    // rabbitmqctl list_connections -q --no-table-headers port client_properties, as 3.10 prints it
    String output =
        String.join(
            "\n",
            "20001\t[{\"connection_name\",\"so1-commands/publish\"},{\"product\",\"RabbitMQ\"}]",
            "20003\t[{\"connection_name\",\"so1-publisher-p1/publish\"},{\"product\",\"RabbitMQ\"}]",
            "20001\t[{\"connection_name\",\"so1-events/consume\"},{\"product\",\"RabbitMQ\"}]",
            "20002\t[{\"connection_name\",\"so2-events/consume\"},{\"product\",\"RabbitMQ\"}]",
            "20002\t[{\"product\",\"RabbitMQ\"}]",
            "");

    assertThat(BrokerControl.connectionsByPort(output, "so1-"))
        .isEqualTo(
            Map.of(
                20001, List.of("so1-commands/publish", "so1-events/consume"),
                20003, List.of("so1-publisher-p1/publish")));
  }
}
