package io.cqrs.spring;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import io.cqrs.rabbitmq.QueueType;
import io.cqrs.rabbitmq.RabbitBusBuilder;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.EventBus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * The RabbitMQ buses, with {@code cqrs.bus.type=rabbitmq}: connected with the settings of the
 * application's Spring AMQP connection factory (Spring Boot's, from {@code spring.rabbitmq.*}:
 * nodes, credentials, virtual host, TLS) or its amqp-client {@link ConnectionFactory} bean when it
 * has one, else with {@code cqrs.bus.rabbitmq.uri}. Each bus opens its own publishing and consuming
 * connections from those settings (publisher confirms, manual acknowledgements and automatic
 * recovery need connections of their own); no connection of the application's pool is taken.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = {"io.cqrs.rabbitmq.RabbitCommandBus", "com.rabbitmq.client.Channel"})
@ConditionalOnCqrsType(property = "cqrs.bus.type", value = "rabbitmq")
class CqrsRabbitConfiguration {
  private static final String SPRING_AMQP_FACTORY =
      "org.springframework.amqp.rabbit.connection.AbstractConnectionFactory";

  @Bean
  @ConditionalOnMissingBean(CommandBus.class)
  RabbitCommandBus cqrsCommandBus(
      CqrsProperties properties,
      EventSerializer serializer,
      ObjectProvider<ConnectionFactory> factories,
      ConfigurableListableBeanFactory beanFactory) {
    BrokerSettings broker = broker(properties, factories, beanFactory);
    RabbitCommandBus.Builder builder =
        broker.uris() != null
            ? fromUri(() -> RabbitCommandBus.builder(broker.uris(), serializer))
            : RabbitCommandBus.builder(broker.factory(), serializer);
    return SettingErrors.naming(
        "cqrs.bus.rabbitmq.",
        CqrsProperties.Rabbitmq.class,
        () -> configure(builder, broker, properties, "-commands").build());
  }

  @Bean
  @ConditionalOnMissingBean(EventBus.class)
  RabbitEventBus cqrsEventBus(
      CqrsProperties properties,
      EventSerializer serializer,
      ObjectProvider<ConnectionFactory> factories,
      ConfigurableListableBeanFactory beanFactory) {
    BrokerSettings broker = broker(properties, factories, beanFactory);
    RabbitEventBus.Builder builder =
        broker.uris() != null
            ? fromUri(() -> RabbitEventBus.builder(broker.uris(), serializer))
            : RabbitEventBus.builder(broker.factory(), serializer);
    return SettingErrors.naming(
        "cqrs.bus.rabbitmq.",
        CqrsProperties.Rabbitmq.class,
        () -> unroutable(configure(builder, broker, properties, "-events"), properties).build());
  }

  /** How the event bus logs events that reached no queue, from {@code unroutable-events}. */
  private static RabbitEventBus.Builder unroutable(
      RabbitEventBus.Builder builder, CqrsProperties properties) {
    return builder.warnOnUnroutable(
        properties.getBus().getRabbitmq().getUnroutableEvents()
            != CqrsProperties.Rabbitmq.UnroutableEvents.DEBUG);
  }

  /**
   * A builder from {@code cqrs.bus.rabbitmq.uri}; a URI the builder refuses (it names the list it
   * was given, {@code amqpUris[0]}) is refused naming the property.
   */
  private static <B> B fromUri(Supplier<B> builder) {
    try {
      return builder.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cqrs.bus.rabbitmq.uri: " + e.getMessage(), e);
    }
  }

  private static <B extends RabbitBusBuilder<B>> B configure(
      B builder, BrokerSettings broker, CqrsProperties properties, String suffix) {
    CqrsProperties.Rabbitmq settings = properties.getBus().getRabbitmq();
    if (!broker.addresses().isEmpty()) {
      builder.addresses(broker.addresses().toArray(String[]::new));
    }
    // Left unset, these keep what the application's connection factory says (Spring Boot's
    // spring.rabbitmq.requested-heartbeat and connection-timeout), or the bus's own defaults.
    if (settings.getHeartbeat() != null) {
      builder.heartbeat(settings.getHeartbeat());
    }
    if (settings.getConnectionTimeout() != null) {
      builder.connectionTimeout(settings.getConnectionTimeout());
    }
    if (settings.getHandshakeTimeout() != null) {
      builder.handshakeTimeout(settings.getHandshakeTimeout());
    }
    return builder
        .prefix(settings.getPrefix())
        .connectionName(rabbitService(properties) + suffix)
        .queueType(queueType(settings.getQueueType()))
        .retryDelays(settings.getRetryDelays().toArray(Duration[]::new))
        .prefetch(settings.getPrefetch())
        .unhealthyAfter(settings.getUnhealthyAfter())
        .recoveryInterval(settings.getRecoveryInterval())
        .declareTopology(settings.isDeclareTopology())
        .publishTimeout(settings.getPublishTimeout())
        .confirmWindow(settings.getConfirmWindow())
        .maxMessageBytes((int) settings.getMaxMessageSize().toBytes());
  }

  /**
   * The service name, which names RabbitMQ queues and connections: without whitespace or control
   * characters. Checked here so that the failure names the property the application sets (the
   * builder's would name its own {@code connectionName}), e.g. a {@code spring.application.name} of
   * {@code My Bank}.
   */
  static String rabbitService(CqrsProperties properties) {
    String service = properties.getService();
    if (service
        .codePoints()
        .anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw new IllegalStateException(
          "The service name '"
              + service
              + "' ("
              + serviceSetting(properties)
              + ") names the RabbitMQ queues and connections and must not contain whitespace or"
              + " control characters: set cqrs.service to a name without them, e.g. '"
              + service.strip().replaceAll("(?U)[\\s\\p{Cntrl}]+", "-")
              + "'");
    }
    int bytes = service.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_SERVICE_BYTES) {
      throw new IllegalStateException(
          "The service name ("
              + serviceSetting(properties)
              + ") is "
              + bytes
              + " bytes long in UTF-8: it names the RabbitMQ queues and connections, whose names"
              + " allow it at most "
              + MAX_SERVICE_BYTES
              + ": set cqrs.service to a shorter name");
    }
    return service;
  }

  /** Which property named the service, for a failure that asks to change it. */
  private static String serviceSetting(CqrsProperties properties) {
    return properties.isServiceSet()
        ? "cqrs.service"
        : "spring.application.name, as cqrs.service is not set";
  }

  /**
   * The longest service name the buses take: the connection names add {@code -commands} (9 bytes)
   * to it, within the buses' 200 bytes for a name.
   */
  static final int MAX_SERVICE_BYTES = 191;

  private static QueueType queueType(String name) {
    try {
      return QueueType.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "cqrs.bus.rabbitmq.queue-type must be classic or quorum, was '" + name + "'", e);
    }
  }

  /** Where the buses connect: the application's factory (and its nodes), or the URIs. */
  record BrokerSettings(ConnectionFactory factory, List<String> addresses, List<String> uris) {}

  private static BrokerSettings broker(
      CqrsProperties properties,
      ObjectProvider<ConnectionFactory> factories,
      ConfigurableListableBeanFactory beanFactory) {
    String uri = properties.getBus().getRabbitmq().getUri();
    BrokerSettings application = null;
    if (ClassUtils.isPresent(SPRING_AMQP_FACTORY, CqrsRabbitConfiguration.class.getClassLoader())) {
      application = SpringAmqpBroker.find(beanFactory);
    }
    if (application == null) {
      ConnectionFactory factory = factories.getIfUnique();
      if (factory != null) {
        application = new BrokerSettings(factory, List.of(), null);
      }
    }
    if (application != null && uri != null && !uri.isBlank()) {
      throw new IllegalStateException(
          "cqrs.bus.rabbitmq.uri is set, but the application has a RabbitMQ connection factory"
              + " (Spring Boot makes one from spring.rabbitmq.* whenever Spring AMQP is on the class"
              + " path, to localhost:5672 unless told otherwise): the buses connect with its"
              + " settings, so set spring.rabbitmq.* instead of the URI, or remove Spring AMQP");
    }
    if (application != null) {
      return application;
    }
    if (uri == null || uri.isBlank()) {
      throw new IllegalStateException(
          "Missing setting: cqrs.bus.rabbitmq.uri (or spring.rabbitmq.* with Spring AMQP)");
    }
    return new BrokerSettings(null, List.of(), RabbitCommandBus.splitUris(uri));
  }
}
