package io.cqrs.spring;

import java.util.List;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails;
import org.springframework.util.ClassUtils;

/**
 * Reads the broker settings of the application's Spring AMQP connection factory. Loaded only when
 * Spring AMQP is on the class path.
 */
final class SpringAmqpBroker {
  private static final String DETAILS =
      "org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails";

  private SpringAmqpBroker() {}

  /**
   * The amqp-client factory inside the application's one Spring AMQP connection factory (Spring
   * Boot's {@code CachingConnectionFactory}), with the nodes of {@code spring.rabbitmq.addresses};
   * null if it has none or several.
   */
  static CqrsRabbitConfiguration.BrokerSettings find(ConfigurableListableBeanFactory beanFactory) {
    AbstractConnectionFactory factory =
        beanFactory.getBeanProvider(AbstractConnectionFactory.class).getIfUnique();
    if (factory == null) {
      return null;
    }
    List<String> addresses = List.of();
    if (ClassUtils.isPresent(DETAILS, SpringAmqpBroker.class.getClassLoader())) {
      RabbitConnectionDetails details =
          beanFactory.getBeanProvider(RabbitConnectionDetails.class).getIfUnique();
      if (details != null) {
        addresses =
            details.getAddresses().stream()
                .map(address -> host(address.host()) + ":" + address.port())
                .toList();
      }
    }
    return new CqrsRabbitConfiguration.BrokerSettings(
        factory.getRabbitConnectionFactory(), addresses, null);
  }

  private static String host(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
