package io.cqrs.example.bank;

import io.cqrs.example.bank.InfrastructureOptions.Bus;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import io.cqrs.rabbitmq.QueueType;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every command takes: which store and buses, how to reach the servers, the prefix, and
 * the log level (a picocli mixin). A connection setting not given as a flag is read from its {@code
 * CQRS_*} variable; a flag wins over its variable. Every setting is checked strictly ({@link
 * AmqpUri}, {@link CouchbaseConnection}) before anything connects.
 */
final class ConnectionOptions {
  static final String COUCHBASE_CONNECTION = "CQRS_COUCHBASE_CONNECTION";
  static final String COUCHBASE_USERNAME = "CQRS_COUCHBASE_USERNAME";
  static final String COUCHBASE_PASSWORD = "CQRS_COUCHBASE_PASSWORD";
  static final String COUCHBASE_BUCKET = "CQRS_COUCHBASE_BUCKET";
  static final String RABBITMQ_URI = "CQRS_RABBITMQ_URI";

  @Option(
      names = "--store",
      converter = OptionConverters.StoreName.class,
      defaultValue = "memory",
      description = "Where events are kept: memory, couchbase (default: ${DEFAULT-VALUE}).")
  Store store;

  @Option(
      names = "--bus",
      converter = OptionConverters.BusName.class,
      defaultValue = "memory",
      description = "How commands and events travel: memory, rabbitmq (default: ${DEFAULT-VALUE}).")
  Bus bus;

  @Option(
      names = "--prefix",
      converter = OptionConverters.Prefix.class,
      defaultValue = InfrastructureOptions.DEFAULT_PREFIX,
      description = {
        "Couchbase key prefix and RabbitMQ name prefix, 1 to 40 of [A-Za-z0-9_.-]; processes with"
            + " the same prefix are one bank (default: ${DEFAULT-VALUE})."
      })
  String prefix;

  @Option(
      names = "--couchbase-connection",
      description =
          "Couchbase connection string, couchbase[s]://host[:port][,host[:port]...]"
              + " (env: "
              + COUCHBASE_CONNECTION
              + ").")
  String couchbaseConnection;

  @Option(
      names = "--couchbase-username",
      description = "Couchbase user (env: " + COUCHBASE_USERNAME + ").")
  String couchbaseUsername;

  @Option(
      names = "--couchbase-password",
      description = "Couchbase password, never printed (env: " + COUCHBASE_PASSWORD + ").")
  String couchbasePassword;

  @Option(
      names = "--couchbase-bucket",
      description =
          "Couchbase bucket (default: "
              + InfrastructureOptions.DEFAULT_BUCKET
              + "; env: "
              + COUCHBASE_BUCKET
              + ").")
  String couchbaseBucket;

  @Option(
      names = "--rabbitmq-uri",
      description = {
        "RabbitMQ URI, amqp[s]://user:password@host:port/vhost (e.g."
            + " amqp://guest:guest@127.0.0.1:5672/%%2f), or one per cluster node separated by"
            + " commas; printed without its password (env: "
            + RABBITMQ_URI
            + ")."
      })
  String rabbitmqUri;

  @Option(
      names = "--rabbitmq-queue-type",
      converter = OptionConverters.QueueTypeName.class,
      description = {
        "The type of every queue both buses declare: classic, quorum (default: classic; env: "
            + InfrastructureOptions.QUEUE_TYPE_VARIABLE
            + "). Quorum on a cluster; the same in every process of a prefix."
      })
  QueueType rabbitmqQueueType;

  @Option(
      names = "--rabbitmq-declare-topology",
      arity = "1",
      paramLabel = "<true|false>",
      converter = OptionConverters.Bool.class,
      description = {
        "Whether both buses declare their exchanges and queues (default: true; env: "
            + InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE
            + "). false: they only check that they exist, so the broker user needs no configure"
            + " permission; an operator runs declare-topology first."
      })
  Boolean rabbitmqDeclareTopology;

  @Option(
      names = {"-v", "--verbose"},
      description = "Log at INFO (default: warnings and errors only).")
  boolean verbose;

  /**
   * The infrastructure these options and {@code environment} name, checked.
   *
   * @throws SettingException naming the flag or variable that is missing or malformed
   */
  InfrastructureOptions infrastructure(Map<String, String> environment) {
    Setting connection =
        Setting.of(
            couchbaseConnection, "--couchbase-connection", environment, COUCHBASE_CONNECTION);
    Setting username =
        Setting.of(couchbaseUsername, "--couchbase-username", environment, COUCHBASE_USERNAME);
    Setting password =
        Setting.of(couchbasePassword, "--couchbase-password", environment, COUCHBASE_PASSWORD);
    Setting bucket =
        Setting.of(couchbaseBucket, "--couchbase-bucket", environment, COUCHBASE_BUCKET);
    Setting uri = Setting.of(rabbitmqUri, "--rabbitmq-uri", environment, RABBITMQ_URI);
    QueueType queueType = rabbitmqQueueType;
    if (queueType == null) {
      String variable = InfrastructureOptions.QUEUE_TYPE_VARIABLE;
      queueType = InfrastructureOptions.queueType(environment.get(variable), variable);
    }
    boolean declareTopology =
        rabbitmqDeclareTopology != null
            ? rabbitmqDeclareTopology
            : InfrastructureOptions.declareTopology(
                environment.get(InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE),
                InfrastructureOptions.DECLARE_TOPOLOGY_VARIABLE);
    if (store == Store.COUCHBASE) {
      connection.require("--store couchbase");
      username.require("--store couchbase");
      password.require("--store couchbase");
      CouchbaseConnection.parse(connection.value(), connection.name());
    }
    if (bucket.value() != null) {
      CouchbaseConnection.bucket(bucket.value(), bucket.name());
    }
    if (bus == Bus.RABBITMQ) {
      uri.require("--bus rabbitmq");
      AmqpUri.parseList(uri.value(), uri.name());
    }
    return new InfrastructureOptions(
        store,
        bus,
        connection.value(),
        username.value(),
        password.value(),
        bucket.value(),
        uri.value(),
        queueType,
        prefix,
        declareTopology);
  }

  /**
   * A setting's value and where it came from: the flag if given, else its variable if set and not
   * blank, else none.
   */
  private record Setting(String value, String name, String flag, String variable) {
    static Setting of(
        String flagValue, String flag, Map<String, String> environment, String variable) {
      if (flagValue != null) {
        return new Setting(flagValue, flag, flag, variable);
      }
      String fromEnvironment = environment.get(variable);
      boolean unset = fromEnvironment == null || fromEnvironment.isBlank();
      return new Setting(unset ? null : fromEnvironment, variable, flag, variable);
    }

    void require(String forWhat) {
      if (value == null || value.isBlank()) {
        throw new SettingException(flag, forWhat + " needs " + flag + " or " + variable);
      }
    }
  }
}
