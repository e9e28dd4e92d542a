package io.cqrs.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broker users a test creates with {@code rabbitmqctl add_user} and {@code set_permissions}, each
 * with a unique name and a random password, deleted again by {@link #close()}. The roles and their
 * permission patterns are those of {@code docs/security.md}, for one prefix.
 */
public final class BrokerUsers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BrokerUsers.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * The permissions of a role on one virtual host, as {@code rabbitmqctl set_permissions} takes
   * them: regular expressions over exchange and queue names.
   */
  public record Role(String name, String configure, String write, String read) {
    /** Sends commands; publishes no events, declares and reads nothing. */
    public static Role api(String prefix) {
      String p = quote(prefix);
      return new Role("api", "^$", "^" + p + "\\.commands$", "^$");
    }

    /**
     * Handles commands, publishes events (and the commands of process managers), runs read models
     * through subscriptions, moves failed messages through the failure exchange; declares nothing.
     */
    public static Role worker(String prefix) {
      String p = quote(prefix);
      return new Role(
          "worker",
          "^$",
          "^" + p + "\\.(events|commands|failures|events\\..+\\.hash)$",
          "^" + p + "\\.(commands|events)\\.");
    }

    /** Declares (and may delete) the prefix's exchanges, queues and bindings. */
    public static Role operator(String prefix) {
      String p = quote(prefix);
      return new Role(
          "operator", "^" + p + "\\.", "^(" + p + "\\..*|amq\\.default)$", "^" + p + "\\.");
    }

    /** Every character of the prefix that is special in a regular expression, escaped. */
    static String quote(String prefix) {
      return prefix.replaceAll("([\\\\.^$|?*+()\\[\\]{}])", "\\\\$1");
    }
  }

  /** A user that exists on the broker. */
  public record User(String name, String password, Role role) {}

  private final RabbitTestBroker broker;
  private final String vhost;
  private final List<User> created = new ArrayList<>();

  /**
   * Users of {@code broker}'s virtual host. Call {@link RabbitNamespace#requireAdmin()} first: they
   * are made with rabbitmqctl.
   */
  public BrokerUsers(RabbitTestBroker broker) {
    this.broker = broker;
    this.vhost = broker.connectionFactory().getVirtualHost();
  }

  /** Creates a user named after {@code hint} and the role, with the role's permissions. */
  public synchronized User create(String hint, Role role) {
    String name = "cqrs-test-" + hint + "-" + role.name() + "-" + hex(4);
    String password = hex(16);
    broker.admin().run("add_user", name, password);
    User user = new User(name, password, role);
    created.add(user);
    broker
        .admin()
        .run("set_permissions", "-p", vhost, name, role.configure(), role.write(), role.read());
    return user;
  }

  /** A connection factory for the test broker that logs in as {@code user}. */
  public ConnectionFactory factory(User user) {
    ConnectionFactory factory = broker.connectionFactory();
    factory.setUsername(user.name());
    factory.setPassword(user.password());
    return factory;
  }

  /**
   * The test broker's AMQP URI with {@code user}'s credentials, for processes a test starts. It
   * holds the password: never log it.
   */
  public String amqpUri(User user) {
    return broker.amqpUri(user.name(), user.password());
  }

  /** Deletes every user created here. */
  @Override
  public synchronized void close() {
    for (User user : created) {
      try {
        broker.admin().run("delete_user", user.name());
      } catch (RuntimeException e) {
        log.warn("Could not delete broker user {}", user.name(), e);
      }
    }
    created.clear();
  }

  private static String hex(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }
}
