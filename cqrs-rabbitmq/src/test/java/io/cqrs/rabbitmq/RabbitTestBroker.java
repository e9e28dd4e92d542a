package io.cqrs.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.testing.ServerMissingException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ that integration tests run against, found once per JVM: the broker at {@code
 * CQRS_RABBITMQ_URI}, else the local one at {@code 127.0.0.1:5672} (guest/guest) if it answers
 * quickly, else a Testcontainers {@code RabbitMQContainer} where a Docker engine answers, else
 * none, in which case tests are skipped with a message saying how to give them one, or fail when
 * {@code CQRS_REQUIRE_SERVERS=true}. {@link BrokerChoice} decides; the choice and its reason are
 * logged in one line.
 *
 * <p>Each test takes a {@link RabbitNamespace} with a unique prefix, so tests never see each
 * other's queues, and closes it to delete what it declared. Shipped in this module's test jar for
 * other modules' tests.
 */
public final class RabbitTestBroker {
  /** The environment variable holding the broker's AMQP URI. */
  public static final String URI_VARIABLE = "CQRS_RABBITMQ_URI";

  /** The environment variable that, set to {@code true}, makes a missing broker a failure. */
  public static final String REQUIRE_VARIABLE = "CQRS_REQUIRE_SERVERS";

  private static final Logger log = LoggerFactory.getLogger(RabbitTestBroker.class);
  private static final Duration RECOVERY_INTERVAL = Duration.ofMillis(500);
  private static final Duration LOCAL_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration LOCAL_HANDSHAKE_TIMEOUT = Duration.ofSeconds(4);
  private static RabbitTestBroker instance;
  private static String unavailable;

  private final ConnectionFactory factory;
  private final String description;
  private final BrokerAdmin admin;

  private RabbitTestBroker(ConnectionFactory factory, BrokerAdmin admin) {
    this.factory = factory;
    this.description = ConnectionFactories.describe(factory);
    this.admin = admin;
  }

  /**
   * The broker, found on first use. Skips the calling test (JUnit assumption) when there is none,
   * or fails it when {@code CQRS_REQUIRE_SERVERS=true}.
   */
  public static synchronized RabbitTestBroker get() {
    if (instance == null && unavailable == null) {
      try {
        instance = find();
      } catch (RuntimeException e) {
        unavailable = e.getMessage();
        log.info("{}", unavailable); // the one line saying why, as a chosen broker's says which
      }
    }
    if (instance == null) {
      missing(unavailable);
    }
    return instance;
  }

  private static RabbitTestBroker find() {
    BrokerChoice choice =
        BrokerChoice.choose(
            System.getenv(URI_VARIABLE),
            RabbitTestBroker::probeLocal,
            ContainerBroker::dockerAnswers);
    if (choice.kind() == BrokerChoice.Kind.NONE) {
      throw new IllegalStateException(choice.reason());
    }
    RabbitTestBroker broker;
    try {
      broker =
          choice.kind() == BrokerChoice.Kind.CONTAINER
              ? ContainerBroker.start()
              : fromUri(choice.uri());
    } catch (RuntimeException | IOException e) {
      throw new IllegalStateException(
          "No RabbitMQ for integration tests: " + choice.reason() + ", but " + e.getMessage(), e);
    }
    log.info("Integration tests use RabbitMQ at {}: {}", broker.describe(), choice.reason());
    return broker;
  }

  private static RabbitTestBroker fromUri(String uri) {
    ConnectionFactory factory = ConnectionFactories.fromUri(uri);
    probe(factory);
    return new RabbitTestBroker(factory, BrokerAdmin.local(isLoopback(factory.getHost())));
  }

  static RabbitTestBroker of(ConnectionFactory factory, BrokerAdmin admin) {
    probe(factory);
    return new RabbitTestBroker(factory, admin);
  }

  private static void probe(ConnectionFactory factory) {
    try {
      factory.newConnection("cqrs-test-probe").close();
    } catch (Exception e) {
      throw new IllegalStateException(
          "RabbitMQ at "
              + ConnectionFactories.describe(factory)
              + " does not answer: "
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Whether the local broker takes a TCP connection within {@link #LOCAL_CONNECT_TIMEOUT} and an
   * AMQP connection within {@link #LOCAL_HANDSHAKE_TIMEOUT}: long enough for a busy broker on this
   * machine, short enough that a machine without one does not wait.
   */
  static BrokerChoice.LocalProbe probeLocal() {
    ConnectionFactory factory = ConnectionFactories.fromUri(BrokerChoice.LOCAL_URI);
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(factory.getHost(), factory.getPort()),
          (int) LOCAL_CONNECT_TIMEOUT.toMillis());
    } catch (IOException e) {
      return BrokerChoice.LocalProbe.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    factory.setConnectionTimeout((int) LOCAL_CONNECT_TIMEOUT.toMillis());
    factory.setHandshakeTimeout((int) LOCAL_HANDSHAKE_TIMEOUT.toMillis());
    factory.setAutomaticRecoveryEnabled(false);
    try {
      factory.newConnection("cqrs-test-probe").close();
      return BrokerChoice.LocalProbe.answered();
    } catch (Exception e) {
      return BrokerChoice.LocalProbe.failed(
          "it took the TCP connection but no AMQP connection: "
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage());
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Skips the test, or fails it when servers are required; the build's last line counts the skip
   * (see {@link ServerMissingException}).
   */
  static void missing(String why) {
    ServerMissingException.skipOrFail(
        "RabbitMQ",
        why,
        "start RabbitMQ on 127.0.0.1:5672 (guest/guest, with rabbitmq_consistent_hash_exchange),"
            + " or set "
            + URI_VARIABLE
            + ", or run a Docker engine");
  }

  /**
   * A new connection factory for the broker, recovering quickly (every 500 ms) so that fault tests
   * do not wait.
   */
  public ConnectionFactory connectionFactory() {
    ConnectionFactory copy = factory.clone();
    copy.setNetworkRecoveryInterval(RECOVERY_INTERVAL.toMillis());
    return copy;
  }

  /**
   * The broker's AMQP URI, for test processes started by a test (scale-out tests). It holds the
   * test broker's credentials: never log it.
   */
  public String amqpUri() {
    return amqpUri(factory.getUsername(), factory.getPassword());
  }

  /** The broker's AMQP URI with another user's credentials, which it holds: never log it. */
  public String amqpUri(String username, String password) {
    return "amqp://"
        + encode(username)
        + ":"
        + encode(password)
        + "@"
        + factory.getHost()
        + ":"
        + factory.getPort()
        + "/"
        + encode(factory.getVirtualHost());
  }

  private static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The broker as {@code host:port/vhost}, without credentials. */
  public String describe() {
    return description;
  }

  /** A namespace with a unique prefix that starts with {@code hint}, of classic queues. */
  public RabbitNamespace newNamespace(String hint) {
    return newNamespace(hint, QueueType.CLASSIC);
  }

  /**
   * A namespace with a unique prefix that starts with {@code hint}, whose bus builders declare
   * queues of {@code queueType}.
   */
  public RabbitNamespace newNamespace(String hint, QueueType queueType) {
    Objects.requireNonNull(hint, "hint");
    Objects.requireNonNull(queueType, "queueType");
    String prefix =
        "t-" + hint + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    return new RabbitNamespace(this, prefix, queueType);
  }

  /** The broker's command-line administration (rabbitmqctl), if the tests can reach it. */
  BrokerAdmin admin() {
    return admin;
  }

  /** Names of every queue of the broker's virtual host. */
  List<String> queueNames() {
    return admin.lines(
        "list_queues", "-p", factory.getVirtualHost(), "-q", "--no-table-headers", "name");
  }

  /** The type ({@code classic}, {@code quorum} …) of every queue of the broker's virtual host. */
  Map<String, String> queueTypes() {
    Map<String, String> types = new HashMap<>();
    for (String line :
        admin.lines(
            "list_queues",
            "-p",
            factory.getVirtualHost(),
            "-q",
            "--no-table-headers",
            "name",
            "type")) {
      int tab = line.lastIndexOf('\t');
      if (tab > 0) {
        types.put(line.substring(0, tab), line.substring(tab + 1).trim());
      }
    }
    return types;
  }

  /** Names of every exchange of the broker's virtual host. */
  List<String> exchangeNames() {
    return admin.lines(
        "list_exchanges", "-p", factory.getVirtualHost(), "-q", "--no-table-headers", "name");
  }
}
