package io.cqrs.rabbitmq;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One node of a {@link RabbitCluster}: its environment (every file under {@code <run>/n<index>},
 * the shared {@code HOME} with the cookie), its process and the CLI tools pointed at it.
 */
final class RabbitClusterNode {
  static final Path BIN = Path.of("/usr/lib/rabbitmq/bin");

  /** Long enough for a node booting while others build on this 2-core machine (5-8 s idle). */
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);

  private static final Duration PORT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  enum State {
    RUNNING,
    FROZEN,
    KILLED
  }

  private final int index;
  private final String name;
  private final int amqpPort;
  private final Path dir;
  private final Map<String, String> environment = new HashMap<>();
  private volatile State state = State.KILLED;
  private volatile long pid;

  /**
   * A node not yet started.
   *
   * @param ports its AMQP port, its distribution port and the first of ten ports for the CLI tools
   */
  RabbitClusterNode(int index, String name, Path run, int[] ports) {
    this.index = index;
    this.name = name;
    this.amqpPort = ports[0];
    this.dir = run.resolve("n" + index);
    environment.put("HOME", run.resolve("home").toString());
    environment.put("RABBITMQ_NODENAME", name);
    environment.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    environment.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
    environment.put("RABBITMQ_DIST_PORT", Integer.toString(ports[1]));
    environment.put("RABBITMQ_CTL_DIST_PORT_MIN", Integer.toString(ports[2]));
    environment.put("RABBITMQ_CTL_DIST_PORT_MAX", Integer.toString(ports[2] + 9));
    // Our own (empty) env file: /etc/rabbitmq/rabbitmq-env.conf names the default node.
    environment.put("RABBITMQ_CONF_ENV_FILE", run.resolve("rabbitmq-env.conf").toString());
    environment.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
    environment.put("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString());
    environment.put("RABBITMQ_ENABLED_PLUGINS_FILE", run.resolve("enabled_plugins").toString());
    environment.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    environment.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    environment.put("RABBITMQ_PID_FILE", pidFile().toString());
    // Distribution on loopback only, as the default node has it (its ERL_FLAGS).
    environment.put(
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
    environment.put("ERL_EPMD_ADDRESS", "127.0.0.1");
  }

  /**
   * Writes the node's {@code rabbitmq.conf}: its listener, partitions healing by themselves, and
   * {@code extraConfig}.
   */
  void configure(String extraConfig) {
    try {
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve("rabbitmq.conf"),
          "listeners.tcp.local = 127.0.0.1:"
              + amqpPort
              + "\n"
              // After a freeze longer than the net tick time (60 s) the thawed node and the others
              // each saw a partition: with the default (ignore) it stayed partitioned; with
              // autoheal the thawed node restarted its app and rejoined within 7 s. Unlike
              // pause_minority, autoheal never pauses survivors (the last node of two, say).
              + "cluster_partition_handling = autoheal\n"
              + extraConfig);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts the node on its data directory and waits until RabbitMQ runs in it ({@code rabbitmqctl
   * wait} on its pid file).
   *
   * <p>The node runs in the foreground as a child of this JVM, its output in {@code server.out},
   * rather than with {@code -detached}, which sends that output nowhere: a node that cannot boot (a
   * bad setting, a taken port) exits before it writes its pid file or log, and {@code wait} would
   * wait out its whole timeout for it. Here the wait is given up as soon as the node exits, and the
   * failure shows why. The script stays as the parent of {@code beam.smp}, whose pid is the pid
   * file's. The node outlives the JVM all the same, for {@link RabbitClusterRuns} to find.
   */
  void boot() {
    Process server;
    pid = 0; // known again once the pid file is written
    try {
      // A stale pid file from a killed run would let `wait` watch the dead process.
      Files.deleteIfExists(pidFile());
      server =
          ExternalCommand.builder(
                  List.of(BIN.resolve("rabbitmq-server").toString()), environment, dir)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(serverOut().toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start " + name + ": " + e, e);
    }
    state = State.RUNNING;
    String timeout = Long.toString(BOOT_TIMEOUT.toSeconds());
    List<String> wait =
        List.of(
            BIN.resolve("rabbitmqctl").toString(),
            "-n",
            name,
            "wait",
            pidFile().toString(),
            "-t",
            timeout);
    ExternalCommand.run(
        wait,
        environment,
        dir,
        BOOT_TIMEOUT.plusSeconds(10),
        () -> server.isAlive() ? null : name + " exited with code " + server.exitValue(),
        this::logTail);
    pid = readPid();
  }

  /**
   * Runs {@code action} on every node at once and returns when all are done, or throws the first
   * failure at once, interrupting the others (which kills the commands they run).
   */
  static void inParallel(List<RabbitClusterNode> targets, Consumer<RabbitClusterNode> action) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, targets.size()));
    CompletionService<Void> runs = new ExecutorCompletionService<>(pool);
    try {
      for (RabbitClusterNode node : targets) {
        runs.submit(() -> action.accept(node), null);
      }
      for (int i = 0; i < targets.size(); i++) {
        runs.take().get();
      }
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException cause
          ? cause
          : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Runs a CLI tool of {@link #BIN} ({@code rabbitmqctl}, {@code rabbitmq-queues} …) against this
   * node and returns its standard output.
   */
  String run(String tool, Duration timeout, String... arguments) {
    List<String> command = new ArrayList<>(List.of(BIN.resolve(tool).toString(), "-n", name));
    command.addAll(List.of(arguments));
    return ExternalCommand.run(command, environment, dir, timeout, this::logTail);
  }

  /** SIGKILLs the node and waits until its process is gone and its AMQP port refuses. */
  void kill() {
    List<Long> victim = processAlive() ? List.of(pid) : List.of();
    OsProcesses.kill(victim);
    state = State.KILLED;
    OsProcesses.awaitGone(victim, PORT_CLOSE_TIMEOUT);
    long deadline = System.nanoTime() + PORT_CLOSE_TIMEOUT.toNanos();
    while (!refuses()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(name + "'s port " + amqpPort + " still takes connections");
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  /** Stops (SIGSTOP) or continues (SIGCONT) the node's process. */
  void signal(String signal, State next) {
    if (!processAlive()) {
      throw new IllegalStateException(name + " has no process (pid " + pid + ") to " + signal);
    }
    OsProcesses.signal(pid, signal, dir);
    state = next;
  }

  /**
   * Whether {@link #pid} is still this run's Erlang VM, so that a pid reused since the node died is
   * never signalled.
   */
  boolean processAlive() {
    List<String> args = OsProcesses.arguments(pid);
    int home = args.indexOf("-home");
    return pid > 0
        && home >= 0
        && home + 1 < args.size()
        && args.get(home + 1).equals(environment.get("HOME"))
        && OsProcesses.isAlive(pid);
  }

  private boolean refuses() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", amqpPort), 1_000);
      return false;
    } catch (ConnectException refused) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private long readPid() {
    try {
      return Long.parseLong(Files.readString(pidFile(), StandardCharsets.US_ASCII).strip());
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException(name + " has no readable pid file " + pidFile(), e);
    }
  }

  int index() {
    return index;
  }

  String name() {
    return name;
  }

  int amqpPort() {
    return amqpPort;
  }

  State state() {
    return state;
  }

  /** The pid of the node's {@code beam.smp}, 0 before it started. */
  long pid() {
    return pid;
  }

  Path pidFile() {
    return dir.resolve("pid");
  }

  Path logFile() {
    return dir.resolve("log").resolve(name + ".log");
  }

  /** Where the node's standard output and error go. */
  Path serverOut() {
    return dir.resolve("server.out");
  }

  /** The node's output (its first errors and its end) and the end of its log, for failures. */
  String logTail() {
    return "--- end of "
        + serverOut()
        + ":\n"
        + ExternalCommand.firstLines(serverOut(), "[error]")
        + ExternalCommand.tail(serverOut())
        + "\n--- end of "
        + logFile()
        + ":\n"
        + ExternalCommand.tail(logFile());
  }
}
