package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Where the RabbitMQ buses connect when the application has a Spring AMQP connection factory. */
class SpringAmqpBrokerTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class));

  /**
   * Spring Boot's factory backs off, but its connection details (localhost:5672 without {@code
   * spring.rabbitmq.*}) are still made: they used to replace the application's host.
   */
  @Test
  void the_applications_own_connection_factory_keeps_its_host_and_port() {
    runner
        .withBean(
            CachingConnectionFactory.class,
            () -> new CachingConnectionFactory("rabbit.example", 5673))
        .run(
            context -> {
              CqrsRabbitConfiguration.BrokerSettings broker =
                  SpringAmqpBroker.find(context.getBeanFactory());
              assertThat(broker.factory().getHost()).isEqualTo("rabbit.example");
              assertThat(broker.factory().getPort()).isEqualTo(5673);
              assertThat(broker.addresses()).isEmpty();
            });
  }

  @Test
  void spring_boots_connection_factory_brings_the_nodes_of_spring_rabbitmq_addresses() {
    runner
        .withPropertyValues("spring.rabbitmq.addresses=rabbit-1.example:5671,rabbit-2.example")
        .run(
            context ->
                assertThat(SpringAmqpBroker.find(context.getBeanFactory()).addresses())
                    .containsExactly("rabbit-1.example:5671", "rabbit-2.example:5672"));
  }
}
