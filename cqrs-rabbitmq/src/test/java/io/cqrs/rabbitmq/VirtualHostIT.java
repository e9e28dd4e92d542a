package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.NonTransientCqrsException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A virtual host that does not exist is a setting to fix, not a broker to wait for: the bus fails
 * at once, non-transiently, with the broker's reason, and no credentials in the message.
 */
class VirtualHostIT {

  @Test
  void a_virtual_host_that_does_not_exist_fails_the_bus_for_good_with_the_brokers_reason() {
    ConnectionFactory factory = RabbitTestBroker.get().connectionFactory();
    String vhost = "no-such-vhost-" + UUID.randomUUID().toString().substring(0, 8);
    factory.setVirtualHost(vhost);

    assertThatThrownBy(
            () ->
                RabbitCommandBus.builder(factory, TestMessages.serializer())
                    .prefix("vhost-" + vhost)
                    .build()
                    .close())
        .isInstanceOf(NonTransientCqrsException.class)
        .isNotInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("refused connection")
        .hasMessageContaining("NOT_ALLOWED")
        .hasMessageContaining(vhost)
        .hasMessageContaining("does the virtual host exist")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(factory.getPassword() + "@"));
  }
}
