package io.cqrs.example.bank;

import io.cqrs.example.bank.InfrastructureOptions.Bus;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import io.cqrs.rabbitmq.QueueType;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The application's command line, parsed and checked: what to run, on which infrastructure.
 * Connection settings come from flags, else from the {@code CQRS_*} environment variables.
 *
 * @param mode what to run
 * @param infrastructure which store and buses
 * @param host the address {@code serve} binds
 * @param port the port {@code serve} listens on (0: any free port)
 * @param verbose whether to log at INFO instead of WARN
 * @param listeners {@code serve} and {@code worker}: how many commands and events of each
 *     subscription are handled at once
 * @param metricsPort {@code worker}: the port of its {@code GET /metrics} (0: any free port), or
 *     {@code null} for none; {@code serve} answers {@code /metrics} on its own port
 */
record BankOptions(
    Mode mode,
    InfrastructureOptions infrastructure,
    String host,
    int port,
    boolean verbose,
    int listeners,
    Integer metricsPort) {

  /** What the application runs. */
  enum Mode {
    SCENARIO,
    SERVE,
    WORKER,
    REBUILD,
    HELP
  }

  static final int DEFAULT_PORT = 8080;
  static final String DEFAULT_HOST = "127.0.0.1";
  static final int DEFAULT_LISTENERS = 2;

  static final String USAGE =
      String.join(
          System.lineSeparator(),
          "Usage: java -jar example-bank.jar [COMMAND] [OPTIONS]",
          "",
          "The cqrs example bank: accounts and money transfers, event-sourced.",
          "",
          "Commands:",
          "  (none)             Run the andrewwebber/cqrs bank scenario and print the read",
          "                     models, the write model reloaded from history, the events of",
          "                     some correlation ids and whether the read model is in sync.",
          "  serve              Serve the HTTP JSON API (POST /accounts, POST /accounts/{id}/credit,",
          "                     POST /accounts/{id}/debit, POST /transfers, GET /accounts/{id},",
          "                     GET /accounts/{id}/history, GET /transfers/{id}, ...). Several",
          "                     instances can share one Couchbase and RabbitMQ; each also runs",
          "                     what a worker runs, relay included.",
          "  worker             Handle commands, publish what the store holds unpublished (relay),",
          "                     run the transfer process and the read models, without HTTP",
          "                     (needs --store couchbase --bus rabbitmq). Prints 'READY <pid>'",
          "                     once consuming; stops cleanly on SIGTERM.",
          "  rebuild            Blue/green rebuild: replay the integration log into a new",
          "                     generation of the read models beside the serving one, compare",
          "                     them and, if equal, switch to it; serve and worker processes",
          "                     started afterwards serve it (needs --store couchbase).",
          "",
          "Options:",
          "  --store memory|couchbase     Where events are kept (default: memory).",
          "  --bus memory|rabbitmq        How commands and events travel (default: memory).",
          "  --port N                     serve: the port, 0 for any free one (default: 8080).",
          "  --host ADDRESS               serve, worker: the address to bind (default: 127.0.0.1).",
          "  --metrics-port N             worker: serve GET /metrics (Prometheus) on this port, 0",
          "                               for any free one (default: none; serve answers",
          "                               /metrics on its own port).",
          "  --prefix P                   Couchbase key prefix and RabbitMQ name prefix; instances",
          "                               with the same prefix are one bank (default: bank).",
          "  --listeners N                serve, worker: commands and events handled at once per",
          "                               subscription (default: 2).",
          "  --couchbase-connection S     Couchbase connection string   [CQRS_COUCHBASE_CONNECTION]",
          "  --couchbase-username U       Couchbase user                [CQRS_COUCHBASE_USERNAME]",
          "  --couchbase-password P       Couchbase password            [CQRS_COUCHBASE_PASSWORD]",
          "  --couchbase-bucket B         Couchbase bucket (default cqrs) [CQRS_COUCHBASE_BUCKET]",
          "  --rabbitmq-uri URI           RabbitMQ URI, e.g. amqp://guest:guest@127.0.0.1:5672/%2f,",
          "                               or one per cluster node, separated by commas",
          "                                                             [CQRS_RABBITMQ_URI]",
          "  --rabbitmq-queue-type classic|quorum",
          "                               The type of every queue both buses declare (default",
          "                               classic); quorum on a cluster, and the same in every",
          "                               process of a prefix       [CQRS_RABBITMQ_QUEUE_TYPE]",
          "  --verbose                    Log at INFO (default: warnings and errors only).",
          "",
          "Traces are exported when the standard OpenTelemetry variables ask for it, e.g.",
          "OTEL_TRACES_EXPORTER=otlp with OTEL_EXPORTER_OTLP_ENDPOINT, or =logging to log spans",
          "(default: off).",
          "  --help                       Show this help.",
          "",
          "A flag wins over its environment variable. With --store couchbase the read models are",
          "documents in the bucket too, shared by every instance of the prefix.",
          "",
          "Exit status: 0 success, 1 failure (or read model out of sync), 2 bad usage, 70 serve",
          "or worker stopped because a bus lost its consumers for good (restart it).");

  /** The command line was wrong; the message says how. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses the command line.
   *
   * @param environment where {@code CQRS_*} settings are looked up when no flag gives them
   * @throws UsageException naming what is wrong
   */
  static BankOptions parse(List<String> args, Map<String, String> environment)
      throws UsageException {
    return new Parser(args, environment).parse();
  }

  /** Walks the arguments once; not thread-safe, used once. */
  private static final class Parser {
    private final List<String> args;
    private final Map<String, String> environment;
    private int next;
    private Mode mode = Mode.SCENARIO;
    private Store store = Store.MEMORY;
    private Bus bus = Bus.MEMORY;
    private String host;
    private Integer port;
    private boolean verbose;
    private String couchbaseConnection;
    private String couchbaseUsername;
    private String couchbasePassword;
    private String couchbaseBucket;
    private String rabbitmqUri;
    private QueueType rabbitmqQueueType;
    private String prefix;
    private Integer listeners;
    private Integer metricsPort;

    Parser(List<String> args, Map<String, String> environment) {
      this.args = Objects.requireNonNull(args, "args");
      this.environment = Objects.requireNonNull(environment, "environment");
    }

    BankOptions parse() throws UsageException {
      if (!args.isEmpty() && !args.get(0).startsWith("-")) {
        mode = command(args.get(next++));
      }
      while (next < args.size()) {
        if (option(args.get(next++))) {
          return help();
        }
      }
      fillFromEnvironment();
      return check();
    }

    private static Mode command(String name) throws UsageException {
      switch (name) {
        case "serve":
          return Mode.SERVE;
        case "worker":
          return Mode.WORKER;
        case "rebuild":
          return Mode.REBUILD;
        case "help":
          return Mode.HELP;
        default:
          throw new UsageException(
              "Unknown command '" + name + "'; expected serve, worker, rebuild or none");
      }
    }

    /** Reads one option; returns whether it asks for help. */
    private boolean option(String arg) throws UsageException {
      String name = arg;
      String inline = null;
      int equals = arg.indexOf('=');
      if (arg.startsWith("--") && equals > 0) {
        name = arg.substring(0, equals);
        inline = arg.substring(equals + 1);
      }
      boolean flag = List.of("--help", "-h", "--verbose", "-v").contains(name);
      if (flag && inline != null) {
        throw new UsageException("Option " + name + " takes no value");
      }
      switch (name) {
        case "--help", "-h" -> {
          return true;
        }
        case "--verbose", "-v" -> verbose = true;
        case "--store" -> store = choice(name, value(name, inline), Store.class);
        case "--bus" -> bus = choice(name, value(name, inline), Bus.class);
        case "--port" -> port = port(name, value(name, inline));
        case "--metrics-port" -> metricsPort = port(name, value(name, inline));
        case "--host" -> host = value(name, inline);
        case "--couchbase-connection" -> couchbaseConnection = value(name, inline);
        case "--couchbase-username" -> couchbaseUsername = value(name, inline);
        case "--couchbase-password" -> couchbasePassword = value(name, inline);
        case "--couchbase-bucket" -> couchbaseBucket = value(name, inline);
        case "--rabbitmq-uri" -> rabbitmqUri = value(name, inline);
        case "--rabbitmq-queue-type" ->
            rabbitmqQueueType = queueTypeOption(name, value(name, inline));
        case "--prefix" -> prefix = prefix(value(name, inline));
        case "--listeners" -> listeners = listeners(value(name, inline));
        default -> throw new UsageException("Unknown option '" + name + "'");
      }
      return false;
    }

    private String value(String name, String inline) throws UsageException {
      if (inline != null) {
        return inline;
      }
      if (next >= args.size() || args.get(next).startsWith("--")) {
        throw new UsageException("Option " + name + " needs a value");
      }
      return args.get(next++);
    }

    private static <E extends Enum<E>> E choice(String name, String value, Class<E> type)
        throws UsageException {
      try {
        return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new UsageException(
            "Option " + name + " must be one of " + names(type) + ", was '" + value + "'");
      }
    }

    private static String names(Class<? extends Enum<?>> type) {
      StringBuilder names = new StringBuilder();
      for (Enum<?> constant : type.getEnumConstants()) {
        names
            .append(names.length() == 0 ? "" : ", ")
            .append(constant.name().toLowerCase(Locale.ROOT));
      }
      return names.toString();
    }

    /** The queue type a flag names; a blank value is refused like any other wrong one. */
    private static QueueType queueTypeOption(String name, String value) throws UsageException {
      QueueType type = queueType(value, "Option " + name);
      if (type == null) {
        throw new UsageException(
            "Option " + name + " must be one of classic, quorum, was '" + value + "'");
      }
      return type;
    }

    /** The queue type {@code value} names, or {@code null} if it is unset or blank. */
    private static QueueType queueType(String value, String setting) throws UsageException {
      try {
        return InfrastructureOptions.queueType(value, setting);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }

    private static int port(String name, String value) throws UsageException {
      try {
        int port = Integer.parseInt(value);
        if (port >= 0 && port <= 65_535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // Reported below with the accepted range.
      }
      throw new UsageException(
          "Option " + name + " must be a number from 0 to 65535, was '" + value + "'");
    }

    private static String prefix(String value) throws UsageException {
      if (!value.matches("[A-Za-z0-9_.-]{1,40}")) {
        throw new UsageException(
            "Option --prefix must be 1 to 40 characters of [A-Za-z0-9_.-], was '" + value + "'");
      }
      return value;
    }

    private static int listeners(String value) throws UsageException {
      try {
        int count = Integer.parseInt(value);
        if (count >= 1 && count <= 64) {
          return count;
        }
      } catch (NumberFormatException e) {
        // Reported below with the accepted range.
      }
      throw new UsageException(
          "Option --listeners must be a number from 1 to 64, was '" + value + "'");
    }

    private void fillFromEnvironment() throws UsageException {
      couchbaseConnection = orEnvironment(couchbaseConnection, "CQRS_COUCHBASE_CONNECTION");
      couchbaseUsername = orEnvironment(couchbaseUsername, "CQRS_COUCHBASE_USERNAME");
      couchbasePassword = orEnvironment(couchbasePassword, "CQRS_COUCHBASE_PASSWORD");
      couchbaseBucket = orEnvironment(couchbaseBucket, "CQRS_COUCHBASE_BUCKET");
      rabbitmqUri = orEnvironment(rabbitmqUri, "CQRS_RABBITMQ_URI");
      if (rabbitmqQueueType == null) {
        String variable = InfrastructureOptions.QUEUE_TYPE_VARIABLE;
        rabbitmqQueueType = queueType(environment.get(variable), variable);
      }
    }

    private String orEnvironment(String flag, String variable) {
      String value = flag != null ? flag : environment.get(variable);
      return value == null || value.isBlank() ? null : value;
    }

    private BankOptions help() {
      return new BankOptions(
          Mode.HELP,
          InfrastructureOptions.inMemory(),
          DEFAULT_HOST,
          DEFAULT_PORT,
          verbose,
          DEFAULT_LISTENERS,
          null);
    }

    private BankOptions check() throws UsageException {
      if (mode == Mode.HELP) {
        return help();
      }
      checkCombination();
      return new BankOptions(
          mode,
          new InfrastructureOptions(
              store,
              bus,
              couchbaseConnection,
              couchbaseUsername,
              couchbasePassword,
              couchbaseBucket,
              rabbitmqUri,
              rabbitmqQueueType,
              prefix == null ? InfrastructureOptions.DEFAULT_PREFIX : prefix),
          host == null ? DEFAULT_HOST : host,
          port == null ? DEFAULT_PORT : port,
          verbose,
          listeners == null ? DEFAULT_LISTENERS : listeners,
          metricsPort);
    }

    private void checkCombination() throws UsageException {
      if (mode != Mode.SERVE && port != null) {
        throw new UsageException("Option --port is for serve only");
      }
      if (metricsPort != null && mode != Mode.WORKER) {
        throw new UsageException(
            "Option --metrics-port is for worker only; serve answers /metrics on --port");
      }
      if (host != null && mode != Mode.SERVE && !(mode == Mode.WORKER && metricsPort != null)) {
        throw new UsageException("Option --host is for serve, and worker with --metrics-port");
      }
      if (listeners != null && mode != Mode.SERVE && mode != Mode.WORKER) {
        throw new UsageException("Option --listeners is for serve and worker only");
      }
      if (mode == Mode.WORKER && (store == Store.MEMORY || bus == Bus.MEMORY)) {
        throw new UsageException(
            "worker needs a store and buses shared with other processes:"
                + " --store couchbase --bus rabbitmq");
      }
      if (mode == Mode.REBUILD && store == Store.MEMORY) {
        throw new UsageException(
            "rebuild needs --store couchbase: an in-memory store starts empty");
      }
      if (store == Store.COUCHBASE && couchbaseConnection == null) {
        throw new UsageException(
            "--store couchbase needs --couchbase-connection or CQRS_COUCHBASE_CONNECTION");
      }
      if (store == Store.COUCHBASE && (couchbaseUsername == null || couchbasePassword == null)) {
        throw new UsageException(
            "--store couchbase needs --couchbase-username and --couchbase-password"
                + " (or CQRS_COUCHBASE_USERNAME and CQRS_COUCHBASE_PASSWORD)");
      }
      if (bus == Bus.RABBITMQ && rabbitmqUri == null) {
        throw new UsageException("--bus rabbitmq needs --rabbitmq-uri or CQRS_RABBITMQ_URI");
      }
    }
  }
}
