package io.cqrs.example.bank;

import io.cqrs.rabbitmq.QueueType;
import io.cqrs.rabbitmq.RabbitEventBus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which store and buses the bank runs on, and how to reach the servers.
 *
 * @param store where events are kept
 * @param bus how commands and events travel
 * @param couchbaseConnection Couchbase connection string, or {@code null}
 * @param couchbaseUsername Couchbase user, or {@code null}
 * @param couchbasePassword Couchbase password, or {@code null}; never printed
 * @param couchbaseBucket Couchbase bucket, or {@code null}
 * @param rabbitmqUri RabbitMQ URI such as {@code amqp://guest:guest@127.0.0.1:5672/%2f}, or one per
 *     node of a cluster separated by commas, or {@code null}; printed without its password
 * @param rabbitmqQueueType the type of every queue both buses declare; {@code null} means {@link
 *     QueueType#CLASSIC}. Every process of a prefix must use the same type: the broker refuses to
 *     declare an existing queue as the other type
 * @param prefix the Couchbase key prefix and the RabbitMQ name prefix; instances with the same
 *     prefix form one bank (default {@value #DEFAULT_PREFIX})
 * @param rabbitmqDeclareTopology whether both buses declare their exchanges and queues (the
 *     default), or only check that they exist ({@code declareTopology(false)}): for a broker user
 *     without configure permission, after an operator ran {@code declare-topology}
 */
public record InfrastructureOptions(
    Store store,
    Bus bus,
    String couchbaseConnection,
    String couchbaseUsername,
    String couchbasePassword,
    String couchbaseBucket,
    String rabbitmqUri,
    QueueType rabbitmqQueueType,
    String prefix,
    boolean rabbitmqDeclareTopology) {

  /** The prefix used unless {@code --prefix} gives one. */
  public static final String DEFAULT_PREFIX = "bank";

  /**
   * The bucket used unless {@code --couchbase-bucket} or {@code CQRS_COUCHBASE_BUCKET} names one.
   */
  public static final String DEFAULT_BUCKET = "cqrs";

  /** The variable {@link #fromEnvironment} reads the queue type from. */
  public static final String QUEUE_TYPE_VARIABLE = "CQRS_RABBITMQ_QUEUE_TYPE";

  /** The variable {@link #fromEnvironment} reads whether the buses declare their topology from. */
  public static final String DECLARE_TOPOLOGY_VARIABLE = "CQRS_RABBITMQ_DECLARE_TOPOLOGY";

  /** Where events are kept. */
  public enum Store {
    /** In this process's memory: gone when it exits. */
    MEMORY,
    /** In a Couchbase bucket shared by every instance. */
    COUCHBASE
  }

  /** How commands and events travel. */
  public enum Bus {
    /** Within this process. */
    MEMORY,
    /** Through RabbitMQ, between every instance. */
    RABBITMQ
  }

  public InfrastructureOptions {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(bus, "bus");
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.matches("[A-Za-z0-9_.-]{1,40}")) {
      throw new IllegalArgumentException(
          "prefix must be 1 to 40 characters of [A-Za-z0-9_.-], was '" + prefix + "'");
    }
    couchbaseBucket = couchbaseBucket == null ? DEFAULT_BUCKET : couchbaseBucket;
    rabbitmqQueueType = rabbitmqQueueType == null ? QueueType.CLASSIC : rabbitmqQueueType;
  }

  /** Options whose buses declare their own topology (the default). */
  public InfrastructureOptions(
      Store store,
      Bus bus,
      String couchbaseConnection,
      String couchbaseUsername,
      String couchbasePassword,
      String couchbaseBucket,
      String rabbitmqUri,
      QueueType rabbitmqQueueType,
      String prefix) {
    this(
        store,
        bus,
        couchbaseConnection,
        couchbaseUsername,
        couchbasePassword,
        couchbaseBucket,
        rabbitmqUri,
        rabbitmqQueueType,
        prefix,
        true);
  }

  /**
   * These options with buses that declare their topology ({@code true}) or only check that it
   * exists ({@code false}).
   */
  public InfrastructureOptions withRabbitmqDeclareTopology(boolean declare) {
    return new InfrastructureOptions(
        store,
        bus,
        couchbaseConnection,
        couchbaseUsername,
        couchbasePassword,
        couchbaseBucket,
        rabbitmqUri,
        rabbitmqQueueType,
        prefix,
        declare);
  }

  /** Everything in memory, in this process. */
  public static InfrastructureOptions inMemory() {
    return new InfrastructureOptions(
        Store.MEMORY, Bus.MEMORY, null, null, null, null, null, null, DEFAULT_PREFIX);
  }

  /**
   * The given store and bus with the servers of the {@code CQRS_*} variables in {@code environment}
   * ({@code CQRS_COUCHBASE_CONNECTION}, {@code _USERNAME}, {@code _PASSWORD}, {@code _BUCKET},
   * {@code CQRS_RABBITMQ_URI}, {@code CQRS_RABBITMQ_QUEUE_TYPE}, {@code
   * CQRS_RABBITMQ_DECLARE_TOPOLOGY}), as a worker's child processes get them.
   *
   * @throws IllegalArgumentException if {@code CQRS_RABBITMQ_QUEUE_TYPE} is neither {@code classic}
   *     nor {@code quorum}, {@code CQRS_RABBITMQ_DECLARE_TOPOLOGY} neither {@code true} nor {@code
   *     false}, or ({@link SettingException}) if a server setting the store or bus needs is
   *     malformed: the message names the variable, and never holds a password
   */
  public static InfrastructureOptions fromEnvironment(
      Store store, Bus bus, String prefix, Map<String, String> environment) {
    Objects.requireNonNull(environment, "environment");
    String uri = environment.get("CQRS_RABBITMQ_URI");
    if (bus == Bus.RABBITMQ && uri != null) {
      AmqpUri.parseList(uri, "CQRS_RABBITMQ_URI");
    }
    String connection = environment.get("CQRS_COUCHBASE_CONNECTION");
    if (store == Store.COUCHBASE && connection != null) {
      CouchbaseConnection.parse(connection, "CQRS_COUCHBASE_CONNECTION");
    }
    String bucket = environment.get("CQRS_COUCHBASE_BUCKET");
    if (store == Store.COUCHBASE && bucket != null) {
      CouchbaseConnection.bucket(bucket, "CQRS_COUCHBASE_BUCKET");
    }
    return new InfrastructureOptions(
        store,
        bus,
        environment.get("CQRS_COUCHBASE_CONNECTION"),
        environment.get("CQRS_COUCHBASE_USERNAME"),
        environment.get("CQRS_COUCHBASE_PASSWORD"),
        environment.get("CQRS_COUCHBASE_BUCKET"),
        environment.get("CQRS_RABBITMQ_URI"),
        queueType(environment.get(QUEUE_TYPE_VARIABLE), QUEUE_TYPE_VARIABLE),
        prefix,
        declareTopology(environment.get(DECLARE_TOPOLOGY_VARIABLE), DECLARE_TOPOLOGY_VARIABLE));
  }

  /**
   * Whether the buses declare their topology, as {@code value} says ({@code true} or {@code false},
   * in any case); {@code true} for a missing or blank value.
   *
   * @param setting the option or variable {@code value} came from, for the error message
   * @throws SettingException naming {@code setting} and the accepted values otherwise
   */
  static boolean declareTopology(String value, String setting) {
    if (value == null || value.isBlank() || value.strip().equalsIgnoreCase("true")) {
      return true;
    }
    if (value.strip().equalsIgnoreCase("false")) {
      return false;
    }
    throw new SettingException(setting, "must be one of true, false, was '" + value + "'");
  }

  /**
   * The queue type named {@code value} ({@code classic} or {@code quorum}, in any case), or {@code
   * null} for a missing or blank value.
   *
   * @param setting the option or variable {@code value} came from, for the error message
   * @throws SettingException naming {@code setting} and the accepted values otherwise
   */
  static QueueType queueType(String value, String setting) {
    if (value == null || value.isBlank()) {
      return null;
    }
    for (QueueType type : QueueType.values()) {
      if (type.name().equalsIgnoreCase(value.strip())) {
        return type;
      }
    }
    throw new SettingException(setting, "must be one of classic, quorum, was '" + value + "'");
  }

  /** Whether the store and both buses are in this process's memory. */
  public boolean isInMemory() {
    return store == Store.MEMORY && bus == Bus.MEMORY;
  }

  /** A one-line description without secrets, for logs and output. */
  public String describe() {
    String where =
        store == Store.MEMORY
            ? "events in memory"
            : "events in Couchbase " + couchbaseConnection + " bucket " + couchbaseBucket;
    String how =
        bus == Bus.MEMORY
            ? "buses in memory"
            : "buses on RabbitMQ "
                + (rabbitmqUri == null ? null : withoutPassword(rabbitmqUri))
                + (rabbitmqQueueType == QueueType.QUORUM ? " (quorum queues)" : "")
                + (rabbitmqDeclareTopology ? "" : " (topology declared by an operator)");
    return where + ", " + how + (isInMemory() ? "" : ", prefix " + prefix);
  }

  @Override
  public String toString() {
    return "InfrastructureOptions[" + describe() + "]";
  }

  /** amqp://user:password@host → amqp://user:***@host, for each URI of a comma-separated list. */
  private static String withoutPassword(String uris) {
    List<String> masked = new ArrayList<>();
    for (String uri : RabbitEventBus.splitUris(uris)) {
      masked.add(withoutPasswordOne(uri));
    }
    return String.join(",", masked);
  }

  private static String withoutPasswordOne(String uri) {
    int scheme = uri.indexOf("://");
    int at = uri.lastIndexOf('@'); // a password may hold '/', ':' or '@'; a host holds none
    if (scheme < 0) {
      return at < 0 ? uri : "***" + uri.substring(at); // not a URI, but maybe user:password@host
    }
    int colon = uri.indexOf(':', scheme + 3);
    if (at < scheme || colon < 0 || colon > at) {
      return uri; // no password
    }
    return uri.substring(0, colon + 1) + "***" + uri.substring(at);
  }
}
