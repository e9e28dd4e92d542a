package io.cqrs.rabbitmq;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import io.cqrs.spi.DurationSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The settings both RabbitMQ buses share. Every setting is optional; the defaults suit production.
 *
 * @param <B> the concrete builder, returned by each setter
 */
public abstract sealed class RabbitBusBuilder<B extends RabbitBusBuilder<B>>
    permits RabbitEventBus.Builder, RabbitCommandBus.Builder {
  /** The default {@link #maxMessageBytes}: 16 MiB, RabbitMQ 4's default max_message_size. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /** The largest {@link #maxMessageBytes}: 64 MiB, the AMQP client's limit of an inbound body. */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private final ConnectionFactory factory;
  private final EventSerializer serializer;
  private String prefix = "cqrs";
  private final String connectionSuffix; // "events" or "commands"
  private String connectionName; // null: <prefix>-<connectionSuffix>
  private String exchange;
  private Duration publishTimeout = Duration.ofSeconds(30);
  private int confirmWindow = 1000;
  private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  private int prefetch = 250;
  private List<Duration> retryDelays =
      List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60));
  private Duration consumerTimeout = Duration.ofMinutes(30);
  private Duration recoveryInterval;
  private Duration heartbeat;
  private Duration connectionTimeout;
  private Duration handshakeTimeout;
  private Duration unhealthyAfter = Duration.ofSeconds(15);
  private List<Address> addresses; // null: the factory's host and port
  private AddressResolver addressResolver;
  private Executor completionExecutor; // null: the bus's own
  private QueueType queueType = QueueType.CLASSIC;
  private boolean declareTopology = true;

  RabbitBusBuilder(ConnectionFactory factory, EventSerializer serializer, String connectionSuffix) {
    this.factory = Objects.requireNonNull(factory, "connectionFactory");
    this.serializer = Objects.requireNonNull(serializer, "serializer");
    this.connectionSuffix = connectionSuffix;
  }

  abstract B self();

  /**
   * The namespace of every exchange and queue the bus declares (default {@code cqrs}). Instances
   * that should talk to each other use the same prefix.
   */
  public B prefix(String prefix) {
    this.prefix = Names.requireValid("prefix", prefix);
    return self();
  }

  /**
   * The name the bus's connections carry in the broker's tools (default {@code <prefix>-events} or
   * {@code <prefix>-commands}, so {@code cqrs-events} without a prefix and {@code shop-commands}
   * with {@code prefix("shop")}); {@code /publish} and {@code /consume} are appended.
   */
  public B connectionName(String connectionName) {
    this.connectionName = Names.requireValid("connectionName", connectionName);
    return self();
  }

  /**
   * The exchange messages are published to (default {@code <prefix>.events} or {@code .commands}).
   */
  public B exchange(String exchange) {
    this.exchange = Names.requireValid("exchange", exchange);
    return self();
  }

  /**
   * How long {@code publish} may block while the broker is unreachable, blocks publishers or has
   * not confirmed yet (default 30 s); then it throws {@link BrokerUnavailableException}. It also
   * bounds how long {@code build()} and the first {@code subscribe} keep trying to open their
   * connection while the broker takes it but does not answer the handshake (a broker short of CPU);
   * an address that refuses connections fails them at once.
   */
  public B publishTimeout(Duration publishTimeout) {
    this.publishTimeout = DurationSettings.positive("publishTimeout", publishTimeout);
    return self();
  }

  /** How many published messages may await the broker's confirm at once (default 1000). */
  public B confirmWindow(int confirmWindow) {
    this.confirmWindow = atLeastOne("confirmWindow", confirmWindow);
    return self();
  }

  /**
   * The largest body a published message may have, in bytes (default {@link
   * #DEFAULT_MAX_MESSAGE_BYTES}, 16 MiB: RabbitMQ 4's default {@code max_message_size}; at most
   * {@link #MAX_MESSAGE_BYTES}, 64 MiB, the AMQP client's limit of a body it receives). A larger
   * body fails its own {@code publish} with {@link io.cqrs.UnpublishableMessageException} (an
   * {@code IllegalArgumentException}) before anything is sent. Without the check the broker refuses
   * it by closing the publishing channel, which fails every other message in flight on it, and one
   * that a broker took (RabbitMQ 3's limit is 128 MiB) but that is over the client's inbound limit
   * closes every consumer's connection it reaches, on every redelivery. Raise it together with the
   * broker's {@code max_message_size}. (Decoding an envelope also refuses a single string over 20
   * MB, Jackson's limit.)
   *
   * @throws IllegalArgumentException if below 1 or above {@link #MAX_MESSAGE_BYTES}
   */
  public B maxMessageBytes(int maxMessageBytes) {
    if (maxMessageBytes < 1 || maxMessageBytes > MAX_MESSAGE_BYTES) {
      throw new IllegalArgumentException(
          "maxMessageBytes must be from 1 to "
              + MAX_MESSAGE_BYTES
              + " (64 MiB, the AMQP client's inbound limit), was "
              + maxMessageBytes);
    }
    this.maxMessageBytes = maxMessageBytes;
    return self();
  }

  /**
   * How many unacknowledged messages each listener may hold (default 250), split evenly among the
   * queues it consumes (the partitions of an ordered subscription), at least one each. Every
   * message a listener holds must be acknowledged within the broker's {@code consumer_timeout}
   * ({@link #consumerTimeout}): keep {@code prefetch} times a handler's time well below it.
   */
  public B prefetch(int prefetch) {
    this.prefetch = atLeastOne("prefetch", prefetch);
    return self();
  }

  /**
   * The delays before the second, third … attempt of a message whose consumer threw (default 1 s,
   * 10 s, 60 s). A message is dead-lettered after {@code delays.length + 1} failed attempts; no
   * delays means no retries. An ordered subscription retries in place, holding the event
   * unacknowledged meanwhile, so there the delays must add up to less than {@link #consumerTimeout}
   * ({@code build()} refuses them otherwise).
   */
  public B retryDelays(Duration... delays) {
    Objects.requireNonNull(delays, "retryDelays");
    for (Duration delay : delays) {
      DurationSettings.positive("retryDelays[]", delay);
    }
    this.retryDelays = List.of(delays);
    return self();
  }

  /**
   * The broker's {@code consumer_timeout} (default 30 minutes, RabbitMQ's default); set it to match
   * the broker's setting, which the bus cannot read. The broker closes a channel that holds a
   * delivery unacknowledged for longer, with {@code PRECONDITION_FAILED}: the listener is lost for
   * good, and its messages go back to their queues. An ordered subscription retries a failed event
   * in place, unacknowledged, for the sum of {@link #retryDelays}; were that to reach this timeout,
   * a poison event would come back after each such loss and never reach the dead-letter queue, so
   * the event bus's {@code build()} refuses it. Only that is checked: a listener's {@link
   * #prefetch} times a handler's time counts against it too.
   */
  public B consumerTimeout(Duration consumerTimeout) {
    this.consumerTimeout = DurationSettings.positive("consumerTimeout", consumerTimeout);
    return self();
  }

  /**
   * Throws unless the retries in place of an ordered subscription end within {@link
   * #consumerTimeout}.
   *
   * @param ordered the ordered subscriptions, for the message
   */
  void requireRetriesInPlaceWithinConsumerTimeout(Object ordered) {
    Duration total = retryDelays.stream().reduce(Duration.ZERO, Duration::plus);
    if (total.compareTo(consumerTimeout) >= 0) {
      throw new IllegalArgumentException(
          "retryDelays add up to "
              + total
              + ", which reaches consumerTimeout "
              + consumerTimeout
              + ": the ordered subscriptions "
              + ordered
              + " retry a failed event in place, unacknowledged, and the broker closes a"
              + " channel whose delivery stays unacknowledged for longer than its consumer_timeout,"
              + " so a poison event would come back for ever instead of reaching the dead-letter"
              + " queue. Shorten the delays, or raise the broker's consumer_timeout and"
              + " consumerTimeout with it");
    }
  }

  /**
   * The broker nodes to connect to, each as {@code host}, {@code host:port}, {@code [ipv6]} or
   * {@code [ipv6]:port} (the default port is the URI's or factory's), instead of the one node of
   * the URI or connection factory; credentials, virtual host and TLS still come from those. The
   * first connection goes to the first node that takes it, and every attempt to recover tries each
   * node again, so a bus can be built and keeps working while any listed node is up. Each bus
   * shuffles the list, so the processes of a deployment spread over the nodes. Replaces an {@link
   * #addressResolver}.
   *
   * @throws IllegalArgumentException naming the entry if one is not such an address
   */
  public B addresses(String... addresses) {
    Objects.requireNonNull(addresses, "addresses");
    if (addresses.length == 0) {
      throw new IllegalArgumentException("addresses must name at least one broker node");
    }
    List<Address> parsed = new ArrayList<>(addresses.length);
    for (int i = 0; i < addresses.length; i++) {
      parsed.add(BrokerAddresses.parse(addresses[i], factory.getPort(), "addresses[" + i + "]"));
    }
    return nodes(parsed);
  }

  /** The nodes of several URIs (the static {@code builder(List, …)} methods). */
  B nodes(List<Address> nodes) {
    this.addresses = List.copyOf(nodes);
    this.addressResolver = null;
    return self();
  }

  /**
   * Where the broker nodes come from when they are not a fixed list (DNS, service discovery): the
   * resolver is asked at the first connection and at every attempt to recover, and its {@link
   * AddressResolver#maybeShuffle} decides the order. Replaces {@link #addresses}.
   */
  public B addressResolver(AddressResolver addressResolver) {
    this.addressResolver = Objects.requireNonNull(addressResolver, "addressResolver");
    this.addresses = null;
    return self();
  }

  /**
   * How long the connection waits before each attempt to recover (default 2 s). Each attempt tries
   * every node.
   */
  public B recoveryInterval(Duration recoveryInterval) {
    this.recoveryInterval = DurationSettings.positive("recoveryInterval", recoveryInterval);
    return self();
  }

  /**
   * The heartbeat interval asked of the broker, in whole seconds (default 5 s). A node that stops
   * answering (a hung host, a network partition) is noticed after two missed heartbeats, 10 to 12.5
   * s at the default; amqp-client's own default of 60 s takes two minutes. The broker may lower it
   * with its own {@code heartbeat} setting.
   */
  public B heartbeat(Duration heartbeat) {
    DurationSettings.positive("heartbeat", heartbeat);
    if (heartbeat.toNanos() % 1_000_000_000L != 0 || heartbeat.toSeconds() > 65535) {
      throw new IllegalArgumentException(
          "heartbeat must be whole seconds from 1 s to 65535 s, was " + heartbeat);
    }
    this.heartbeat = heartbeat;
    return self();
  }

  /**
   * How long opening the TCP connection to one node may take (default 5 s); then the next node is
   * tried.
   */
  public B connectionTimeout(Duration connectionTimeout) {
    this.connectionTimeout = positiveMillis("connectionTimeout", connectionTimeout);
    return self();
  }

  /**
   * How long a node may take to answer the AMQP handshake (default 10 s); then the next node is
   * tried.
   */
  public B handshakeTimeout(Duration handshakeTimeout) {
    this.handshakeTimeout = positiveMillis("handshakeTimeout", handshakeTimeout);
    return self();
  }

  /**
   * How long a connection of the bus may be down before {@code health()} reports the bus unhealthy
   * (default 15 s). Within it, listeners whose connection recovers do not count as consumers but do
   * not make the bus unhealthy either, so that a readiness check does not flap while a bus moves to
   * another node; a bus that publishes only is reported unhealthy once it cannot reach any node for
   * longer than this.
   */
  public B unhealthyAfter(Duration unhealthyAfter) {
    this.unhealthyAfter = DurationSettings.notNegative("unhealthyAfter", unhealthyAfter);
    return self();
  }

  /**
   * Where the futures returned by {@code publishAsync} complete, and so where stages added to them
   * without an executor of their own run. By default each bus has its own pool of daemon threads,
   * created as needed and shut down by {@code close()}, so that a stage that blocks holds up
   * neither the connection nor other buses nor the common fork-join pool. An executor given here
   * must run tasks on threads of its own (not inline on the calling thread) and not drop them: a
   * task it refuses is run on the thread that settled the publication, which may be the
   * connection's I/O thread. The bus does not shut it down.
   */
  public B completionExecutor(Executor completionExecutor) {
    this.completionExecutor = Objects.requireNonNull(completionExecutor, "completionExecutor");
    return self();
  }

  /**
   * The type of the queues the bus declares (default {@link QueueType#CLASSIC}); {@link
   * QueueType#QUORUM} replicates them over a cluster. Every instance of a subscription or service
   * must use the same type: the broker refuses to declare an existing queue with another one.
   */
  public B queueType(QueueType queueType) {
    this.queueType = Objects.requireNonNull(queueType, "queueType");
    return self();
  }

  /**
   * Whether the bus declares the exchanges, queues and bindings it uses (default {@code true}).
   * With {@code false} it declares nothing: {@code build()} and {@code subscribe} only check, by
   * passive declarations, that each exchange and queue they use exists, and fail with a {@link
   * io.cqrs.NonTransientCqrsException} naming the first one missing. Its broker user then needs no
   * configure permission at all. Bindings cannot be checked: an operator declares the topology
   * beforehand, with a bus whose user may ({@code RabbitCommandBus.declareService}, {@code
   * RabbitEventBus.declareSubscription}); see {@code docs/security.md}.
   */
  public B declareTopology(boolean declareTopology) {
    this.declareTopology = declareTopology;
    return self();
  }

  EventSerializer serializer() {
    return serializer;
  }

  Settings settings(int partitions) {
    Names defaults = Names.of(prefix);
    Names names = exchange == null ? defaults : new Names(prefix, exchange, exchange);
    ConnectionSettings connection =
        new ConnectionSettings(heartbeat, connectionTimeout, handshakeTimeout, recoveryInterval);
    String virtualHost = factory.getVirtualHost();
    BrokerAddresses nodes =
        addressResolver != null
            ? BrokerAddresses.resolvedBy(addressResolver, virtualHost)
            : BrokerAddresses.of(
                addresses != null
                    ? addresses
                    : List.of(new Address(factory.getHost(), factory.getPort())),
                virtualHost);
    return new Settings(
        ConnectionFactories.recovering(factory, connection),
        nodes,
        unhealthyAfter,
        names,
        connectionName != null ? connectionName : prefix + "-" + connectionSuffix,
        publishTimeout,
        confirmWindow,
        maxMessageBytes,
        prefetch,
        retryDelays,
        partitions,
        completionExecutor,
        queueType,
        declareTopology);
  }

  static int atLeastOne(String setting, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(setting + " must be >= 1, was " + value);
    }
    return value;
  }

  private static Duration positiveMillis(String setting, Duration value) {
    DurationSettings.positive(setting, value);
    if (value.toMillis() < 1 || value.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          setting + " must be from 1 ms to " + Integer.MAX_VALUE + " ms, was " + value);
    }
    return value;
  }
}
