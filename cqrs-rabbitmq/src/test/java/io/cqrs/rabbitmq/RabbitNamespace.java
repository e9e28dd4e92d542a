package io.cqrs.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One test's corner of the broker: a unique prefix for every exchange, queue and connection name,
 * the buses created under it, and the clean-up that closes them and deletes what they declared.
 */
public final class RabbitNamespace implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RabbitNamespace.class);

  /** Work with a channel of a short-lived test connection. */
  @FunctionalInterface
  public interface ChannelWork<T> {
    T run(Channel channel) throws Exception;
  }

  private final RabbitTestBroker broker;
  private final String prefix;
  private final QueueType queueType;
  private final List<AutoCloseable> buses = new CopyOnWriteArrayList<>();
  private final Set<String> queues = new LinkedHashSet<>();
  private final Set<String> exchanges = new LinkedHashSet<>();

  RabbitNamespace(RabbitTestBroker broker, String prefix, QueueType queueType) {
    this.broker = broker;
    this.prefix = prefix;
    this.queueType = queueType;
  }

  /** The prefix of every name in this namespace. */
  public String prefix() {
    return prefix;
  }

  /** The broker. */
  public RabbitTestBroker broker() {
    return broker;
  }

  /** A new connection factory for the broker. */
  public ConnectionFactory connectionFactory() {
    return broker.connectionFactory();
  }

  /**
   * A connection of the framework's own ({@link BrokerConnection}) to the broker, named {@code
   * prefix-suffix}, for tests that drive a publisher or dead letters without a bus.
   */
  BrokerConnection brokerConnection(String suffix, java.time.Duration wait) {
    ConnectionFactory factory = connectionFactory();
    return BrokerConnection.open(
        factory,
        BrokerAddresses.of(
            java.util.List.of(
                new com.rabbitmq.client.Address(factory.getHost(), factory.getPort())),
            factory.getVirtualHost()),
        prefix + "-" + suffix,
        System.nanoTime() + wait.toNanos());
  }

  /** The type of the queues this namespace's bus builders declare. */
  public QueueType queueType() {
    return queueType;
  }

  /** An event bus builder under this prefix and queue type, its connections named after it. */
  public RabbitEventBus.Builder eventBusBuilder(EventSerializer serializer) {
    return RabbitEventBus.builder(connectionFactory(), serializer)
        .prefix(prefix)
        .queueType(queueType)
        .connectionName(prefix + "-events");
  }

  /** A command bus builder under this prefix and queue type, its connections named after it. */
  public RabbitCommandBus.Builder commandBusBuilder(EventSerializer serializer) {
    return RabbitCommandBus.builder(connectionFactory(), serializer)
        .prefix(prefix)
        .queueType(queueType)
        .connectionName(prefix + "-commands");
  }

  /** An event bus with default settings under this prefix, closed with the namespace. */
  public RabbitEventBus eventBus(EventSerializer serializer) {
    return track(eventBusBuilder(serializer).build());
  }

  /** A command bus with default settings under this prefix, closed with the namespace. */
  public RabbitCommandBus commandBus(EventSerializer serializer) {
    return track(commandBusBuilder(serializer).build());
  }

  /** Closes a bus with the namespace and deletes what it declared. */
  public <T extends AutoCloseable> T track(T bus) {
    buses.add(Objects.requireNonNull(bus, "bus"));
    return bus;
  }

  /** Deletes a queue the test declared itself when the namespace closes. */
  public synchronized void deleteQueueOnClose(String queue) {
    queues.add(queue);
  }

  /**
   * Force-closes every connection of this namespace, as an operator would with {@code rabbitmqctl
   * close_connection}. Skips the test (or fails it, when servers are required) if rabbitmqctl is
   * out of reach.
   *
   * @return how many connections were closed
   */
  public int forceCloseConnections() {
    requireAdmin();
    return broker.admin().closeConnections(prefix, "cqrs fault test");
  }

  /** Skips the test, or fails it when servers are required, unless rabbitmqctl is usable. */
  public void requireAdmin() {
    String why = broker.admin().unavailableReason();
    if (why != null) {
      RabbitTestBroker.missing("This test needs rabbitmqctl: " + why);
    }
  }

  /** Runs work on a channel of a short-lived connection. */
  public <T> T withChannel(ChannelWork<T> work) {
    try (Connection connection = connectionFactory().newConnection(prefix + "-test");
        Channel channel = connection.createChannel()) {
      return work.run(channel);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Closes the buses, then deletes every exchange and queue they (or the test) declared. Names
   * declared by other processes are unknown here; {@link #deleteEverythingWithPrefix} finds them.
   */
  @Override
  public void close() {
    for (AutoCloseable bus : buses) {
      try {
        bus.close();
      } catch (Exception e) {
        log.warn("Closing a bus of {} failed", prefix, e);
      }
      List<Declaration> declared =
          bus instanceof RabbitEventBus events
              ? events.declarations()
              : bus instanceof RabbitCommandBus commands ? commands.declarations() : List.of();
      remember(declared);
    }
    delete();
  }

  /** Deletes every queue and exchange whose name starts with the prefix, found by rabbitmqctl. */
  public void deleteEverythingWithPrefix() {
    requireAdmin();
    synchronized (this) {
      broker.queueNames().stream().filter(n -> n.startsWith(prefix)).forEach(queues::add);
      broker.exchangeNames().stream().filter(n -> n.startsWith(prefix)).forEach(exchanges::add);
    }
    delete();
  }

  private synchronized void remember(List<Declaration> declared) {
    for (Declaration declaration : declared) {
      switch (declaration.kind()) {
        case QUEUE -> queues.add(declaration.name());
        case EXCHANGE -> exchanges.add(declaration.name());
        case BINDING -> {}
      }
    }
  }

  private synchronized void delete() {
    List<String> failed = new ArrayList<>();
    try (Connection connection = connectionFactory().newConnection(prefix + "-cleanup")) {
      for (String queue : queues) {
        deleteOne(connection, failed, queue, channel -> channel.queueDelete(queue));
      }
      for (String exchange : exchanges) {
        deleteOne(connection, failed, exchange, channel -> channel.exchangeDelete(exchange));
      }
    } catch (IOException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Cannot clean up " + prefix, e);
    }
    queues.clear();
    exchanges.clear();
    if (!failed.isEmpty()) {
      throw new IllegalStateException("Could not delete " + failed);
    }
  }

  private static void deleteOne(
      Connection connection, List<String> failed, String name, ChannelWork<?> deletion) {
    try (Channel channel = connection.createChannel()) {
      deletion.run(channel);
    } catch (Exception e) {
      failed.add(name + " (" + e + ")");
    }
  }
}
