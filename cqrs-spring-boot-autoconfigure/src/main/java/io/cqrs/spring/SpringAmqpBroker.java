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

  /** Where Spring Boot declares the connection factory it builds from the connection details. */
  private static final String BOOT_FACTORY_CREATOR =
      "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration$RabbitConnectionFactoryCreator";

  private SpringAmqpBroker() {}

  /**
   * The amqp-client factory inside the application's one Spring AMQP connection factory, null if it
   * has none or several. When that factory is Spring Boot's own, built from {@code
   * spring.rabbitmq.*} (its {@link RabbitConnectionDetails}), the nodes of those details come with
   * it: Spring AMQP keeps a factory's addresses to itself, out of the amqp-client factory. A
   * factory the application built is taken as it is, at its own host and port: Spring Boot makes
   * its connection details whether or not its factory backs off, and their default of
   * localhost:5672 would replace the host the application chose.
   */
  static CqrsRabbitConfiguration.BrokerSettings find(ConfigurableListableBeanFactory beanFactory) {
    AbstractConnectionFactory factory =
        beanFactory.getBeanProvider(AbstractConnectionFactory.class).getIfUnique();
    if (factory == null) {
      return null;
    }
    List<String> addresses = List.of();
    if (ClassUtils.isPresent(DETAILS, SpringAmqpBroker.class.getClassLoader())
        && BeanOrigin.madeBy(
            beanFactory, factory, AbstractConnectionFactory.class, BOOT_FACTORY_CREATOR)) {
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
