package io.cqrs.scaleout;

import com.rabbitmq.client.ConnectionFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node of the harness's own, started with {@code rabbitmq-server -detached} under its
 * own node name, ports, Erlang cookie, data, log and plugin files (all under one directory), so
 * that the harness can stop and start its application without touching a broker anybody else uses.
 * {@link #close()} stops the node; a JVM shutdown hook does it too if the run dies first.
 *
 * <p>The node binds AMQP and Erlang distribution to 127.0.0.1 only, uses the {@code guest} user
 * (loopback only, as on any fresh node), enables no plugins (the bank needs none), and ignores the
 * machine's {@code /etc/rabbitmq} files. It is addressed with {@code rabbitmqctl -n <node>}.
 */
public final class PrivateBroker implements AutoCloseable {
  private static final List<String> SCRIPT_DIRECTORIES =
      List.of("/usr/lib/rabbitmq/bin", "/usr/local/lib/rabbitmq/bin");

  private final String node;
  private final int amqpPort;
  private final Path directory;
  private final Map<String, String> environment;
  private final File rabbitmqctl;
  private final Thread hook;
  private Duration startup = Duration.ZERO;

  private PrivateBroker(
      String node,
      int amqpPort,
      Path directory,
      Map<String, String> environment,
      File rabbitmqctl) {
    this.node = node;
    this.amqpPort = amqpPort;
    this.directory = directory;
    this.environment = environment;
    this.rabbitmqctl = rabbitmqctl;
    this.hook = new Thread(this::stopQuietly, "stop-" + node);
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Why no private node can be started here, or empty if {@code rabbitmq-server} and {@code
   * rabbitmqctl} are installed.
   */
  public static Optional<String> unavailable() {
    return script("rabbitmq-server") != null && script("rabbitmqctl") != null
        ? Optional.empty()
        : Optional.of("rabbitmq-server is not installed here");
  }

  /**
   * Waits until the node's pid file holds its pid: {@code rabbitmq-server -detached} creates the
   * file empty and writes the pid a moment later, and {@code rabbitmqctl wait} on an empty file
   * fails at once ({@code garbage_in_pid_file}) instead of waiting.
   */
  private void awaitPidWritten(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (Files.readString(pidFile()).strip().matches("[0-9]+")) {
          return;
        }
      } catch (IOException e) {
        // Not there yet.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no pid in " + pidFile() + " after " + timeout);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + pidFile(), e);
      }
    }
  }

  /**
   * Starts a node whose files live under {@code baseDirectory} and waits until it accepts
   * connections.
   *
   * @throws IllegalStateException naming the node's log if it does not start within {@code timeout}
   */
  public static PrivateBroker start(Path baseDirectory, Duration timeout) throws IOException {
    File server = script("rabbitmq-server");
    File ctl = script("rabbitmqctl");
    if (server == null || ctl == null) {
      throw new IllegalStateException(unavailable().orElseThrow());
    }
    String name = "cqrs-soak-" + ProcessHandle.current().pid();
    String node = name + "@localhost";
    Path directory = baseDirectory.resolve(name).toAbsolutePath();
    int amqpPort = freePort();
    int distPort = freeDistributionPort();
    Map<String, String> environment = environment(directory, node, amqpPort, distPort);
    long began = System.nanoTime();
    run(List.of(server.getPath(), "-detached"), environment, Duration.ofSeconds(60));
    PrivateBroker broker = new PrivateBroker(node, amqpPort, directory, environment, ctl);
    try {
      broker.awaitPidWritten(timeout);
      broker.ctl(
          "wait", "--timeout", String.valueOf(timeout.toSeconds()), broker.pidFile().toString());
    } catch (RuntimeException e) {
      broker.close();
      throw new IllegalStateException(
          "private RabbitMQ node " + node + " did not start; see " + directory.resolve("log"), e);
    }
    broker.startup = Duration.ofNanos(System.nanoTime() - began);
    return broker;
  }

  private static Map<String, String> environment(
      Path directory, String node, int amqpPort, int distPort) throws IOException {
    Path home = Files.createDirectories(directory.resolve("home"));
    Files.createDirectories(directory.resolve("mnesia"));
    Files.createDirectories(directory.resolve("log"));
    Path config = directory.resolve("rabbitmq.conf");
    Files.writeString(config, "listeners.tcp.local = 127.0.0.1:" + amqpPort + "\n");
    Path envFile = directory.resolve("rabbitmq-env.conf");
    Files.writeString(envFile, "# empty: this node ignores /etc/rabbitmq/rabbitmq-env.conf\n");
    Path plugins = directory.resolve("enabled_plugins");
    Files.writeString(plugins, "[].\n");
    Map<String, String> env = new HashMap<>();
    // A HOME of its own gives the node and the CLI calls a fresh Erlang cookie of their own.
    env.put("HOME", home.toString());
    env.put("RABBITMQ_NODENAME", node);
    env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_NODE_PORT", String.valueOf(amqpPort));
    env.put("RABBITMQ_DIST_PORT", String.valueOf(distPort));
    env.put("RABBITMQ_CONFIG_FILE", config.toString());
    env.put("RABBITMQ_CONF_ENV_FILE", envFile.toString());
    env.put("RABBITMQ_ADVANCED_CONFIG_FILE", directory.resolve("advanced.config").toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", plugins.toString());
    env.put("RABBITMQ_MNESIA_BASE", directory.resolve("mnesia").toString());
    env.put("RABBITMQ_LOG_BASE", directory.resolve("log").toString());
    env.put("RABBITMQ_PID_FILE", directory.resolve("pid").toString());
    env.put("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
    env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
    return Map.copyOf(env);
  }

  /** The node name, for {@code rabbitmqctl -n}. */
  public String node() {
    return node;
  }

  /** How long the node took from {@code rabbitmq-server -detached} to accepting connections. */
  public Duration startup() {
    return startup;
  }

  /** The AMQP URI of the node's default virtual host, as the child processes get it. */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + amqpPort + "/%2f";
  }

  /** A connection factory for the harness's own connections to the node. */
  public ConnectionFactory connectionFactory() {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(amqpPort);
    factory.setUsername("guest");
    factory.setPassword("guest");
    factory.setVirtualHost("/");
    return factory;
  }

  /** Runs {@code rabbitmqctl -n <node> arguments…} and returns its output. */
  public String ctl(String... arguments) {
    List<String> command = new ArrayList<>(List.of(rabbitmqctl.getPath(), "-n", node, "-q"));
    command.addAll(Arrays.asList(arguments));
    return run(command, environment, Duration.ofSeconds(180));
  }

  @Override
  public String toString() {
    return "private RabbitMQ node "
        + node
        + " at 127.0.0.1:"
        + amqpPort
        + " (files "
        + directory
        + ")";
  }

  /** Stops the node and waits until its process is gone. */
  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or ran.
    }
  }

  private void stopQuietly() {
    try {
      ctl("stop", pidFile().toString());
    } catch (RuntimeException e) {
      // The node did not answer: end its process so that no broker is left behind.
      try {
        long pid = Long.parseLong(Files.readString(pidFile()).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      } catch (IOException | NumberFormatException ignored) {
        // No pid file: the node never started.
      }
    }
  }

  /** The file the node writes its operating-system process id to. */
  Path pidFile() {
    return directory.resolve("pid");
  }

  private static String run(List<String> command, Map<String, String> env, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      // rabbitmq-server -detached leaves a child holding the output open: read until it exits.
      byte[] output = process.getInputStream().readAllBytes();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " timed out after " + timeout);
      }
      String text = new String(output, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited " + process.exitValue() + ": " + text.strip());
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not run " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while running " + command.get(0), e);
    }
  }

  /**
   * The RabbitMQ script itself, not a distribution's wrapper: Debian's {@code /usr/sbin} wrappers
   * switch to the {@code rabbitmq} user when run as root, which would lose this node's environment.
   */
  private static File script(String name) {
    List<String> directories = new ArrayList<>(SCRIPT_DIRECTORIES);
    directories.addAll(Arrays.asList(System.getenv().getOrDefault("PATH", "").split(":")));
    for (String directory : directories) {
      File candidate = new File(directory, name);
      if (candidate.canExecute() && !isWrapper(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static boolean isWrapper(File script) {
    try {
      return Files.readString(script.toPath(), StandardCharsets.ISO_8859_1).contains("su rabbitmq");
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * A free port for AMQP, drawn from 10000–19999: below the ephemeral range, so that while the
   * application is stopped no outgoing connection (nor a client reconnecting to itself) can take
   * the port that {@code start_app} listens on again; and below the distribution ports.
   */
  private static int freePort() throws IOException {
    return freePortIn(10_000, 10_000, "AMQP");
  }

  /**
   * A free port for Erlang distribution. The CLI tools take their own ports from this one + 10000
   * up, so it is drawn from 20000–39999 rather than the ephemeral range.
   */
  private static int freeDistributionPort() throws IOException {
    return freePortIn(20_000, 20_000, "Erlang distribution");
  }

  /** A port from {@code first} to {@code first + count - 1} that nothing listens on now. */
  private static int freePortIn(int first, int count, String what) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = first + ThreadLocalRandom.current().nextInt(count);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // Try another.
      }
    }
    throw new IOException("no free port for " + what + " in " + first + "-" + (first + count - 1));
  }
}
