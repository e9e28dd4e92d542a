package io.cqrs.rabbitmq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.rabbitmq.RabbitClusterNode.State;
import io.cqrs.testing.ServerMissingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private RabbitMQ cluster of a few nodes on this machine, for tests of node loss: {@link #kill}
 * (a crash), {@link #freeze} (a hung host), {@link #restart}. Nodes are numbered from 1.
 *
 * <p>It runs beside the machine's default node ({@code 127.0.0.1:5672}), which it never touches:
 * each cluster has its own run directory under {@code /tmp/cqrs-rabbit-cluster}, its own Erlang
 * cookie and {@code HOME}, node names unique to the run ({@code cqrs<random>n1@localhost}, so that
 * concurrent builds never meet in epmd) and ports picked at start. The CLI tools are run from
 * {@code /usr/lib/rabbitmq/bin} directly: the {@code /usr/sbin} wrappers switch to the default
 * node's user and cookie. Every node has {@code rabbitmq_consistent_hash_exchange} and listens on
 * loopback only, where {@code guest/guest} is allowed.
 *
 * <p>{@link #close()} kills the nodes and deletes the run directory; a shutdown hook does the same
 * if the test does not, and {@link #start} removes what JVMs that died left running. Every external
 * command has a deadline; a failure names the command, its exit code and the tails of its output
 * and of the node's log. Not thread-safe: one test thread drives a cluster, though {@code close}
 * may come from the shutdown hook at any time.
 */
public final class RabbitCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RabbitCluster.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SERVER = RabbitClusterNode.BIN.resolve("rabbitmq-server");
  private static final String REMEDY =
      "install RabbitMQ 3.10 (Debian's rabbitmq-server package, which provides "
          + SERVER
          + "); the cluster runs beside the default node and leaves it alone";

  /**
   * Longer than the 58 s that {@code cluster_status} through a healthy node blocked while another
   * node was frozen (until the net tick time, 60 s, declared it down).
   */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);

  /** quorum_status waits 5 s for a frozen member; 5.4-5.6 s were measured. */
  private static final Duration QUORUM_STATUS_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(120);

  private final Path run;
  private final List<RabbitClusterNode> nodes = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread shutdownHook = new Thread(this::destroy, "rabbit-cluster-shutdown");

  private final String extraConfig;

  private RabbitCluster(Path run, int size, String extraConfig) {
    this.run = run;
    this.extraConfig = extraConfig;
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    List<int[]> ports = RabbitClusterPorts.pick(size);
    for (int i = 1; i <= size; i++) {
      String name = run.getFileName() + "n" + i + "@localhost";
      nodes.add(new RabbitClusterNode(i, name, run, ports.get(i - 1)));
    }
  }

  private static RabbitCluster shared;
  private static RuntimeException sharedFailure;

  /**
   * A three-node cluster shared by every test class of this JVM: started on first use, stopped when
   * the JVM exits. A test that takes a node down brings it back before it ends. Skips or fails as
   * {@link #start} does, every time it is asked after a failed start.
   */
  public static synchronized RabbitCluster shared() {
    if (sharedFailure != null) {
      throw sharedFailure;
    }
    if (shared == null) {
      try {
        shared = start(3);
      } catch (RuntimeException e) {
        sharedFailure = e;
        throw e;
      }
    }
    return shared;
  }

  /**
   * Starts a cluster of {@code size} nodes and returns once every node runs and is a member: the
   * nodes boot in parallel, then nodes 2..n join node 1. Removes first the runs of JVMs that died.
   *
   * <p>When RabbitMQ is not installed, or the cluster does not start, skips the calling test (the
   * suite from {@code @BeforeAll}) through {@link ServerMissingException#skipOrFail}, which fails
   * it instead when {@code CQRS_REQUIRE_SERVERS=true}; the reason holds the failure's details.
   */
  public static RabbitCluster start(int size) {
    return start(size, "");
  }

  /**
   * Starts a cluster as {@link #start(int)} does, with {@code extraConfig} appended to every node's
   * {@code rabbitmq.conf} (a TLS listener, say).
   */
  public static RabbitCluster start(int size, String extraConfig) {
    Objects.requireNonNull(extraConfig, "extraConfig");
    if (size < 1) {
      throw new IllegalArgumentException("size must be at least 1, was " + size);
    }
    if (!Files.isExecutable(SERVER)) {
      throw missing("RabbitMQ is not installed here: no " + SERVER);
    }
    RabbitClusterRuns.removeStale();
    Path run = null;
    RabbitCluster cluster = null;
    try {
      run = RabbitClusterRuns.create();
      cluster = new RabbitCluster(run, size, extraConfig);
      cluster.form();
      return cluster;
    } catch (IOException | RuntimeException e) {
      log.warn("A {}-node RabbitMQ cluster did not start", size, e);
      if (cluster != null) {
        cluster.close();
      } else if (run != null) {
        RabbitClusterRuns.destroy(run);
      }
      throw missing("a " + size + "-node cluster did not start: " + e.getMessage());
    }
  }

  private static RuntimeException missing(String why) {
    ServerMissingException.skipOrFail("RabbitMQ cluster", why, REMEDY);
    return new IllegalStateException("skipOrFail returned");
  }

  private void form() {
    long start = System.nanoTime();
    nodes.forEach(node -> node.configure(extraConfig));
    // In parallel: on 2 cores three nodes booted in 6.4-7.7 s together, 9.5-9.7 s one by one.
    RabbitClusterNode.inParallel(nodes, RabbitClusterNode::boot);
    long booted = System.nanoTime();
    RabbitClusterNode first = nodes.get(0);
    List<RabbitClusterNode> others = nodes.subList(1, nodes.size());
    // Joins one at a time, as RabbitMQ's docs do; stopping and starting the apps around them in
    // parallel took the join from 3.7-3.8 s to 2.8-3.3 s.
    RabbitClusterNode.inParallel(others, node -> node.run("rabbitmqctl", JOIN_TIMEOUT, "stop_app"));
    for (RabbitClusterNode node : others) {
      node.run("rabbitmqctl", JOIN_TIMEOUT, "join_cluster", first.name());
    }
    RabbitClusterNode.inParallel(
        others, node -> node.run("rabbitmqctl", JOIN_TIMEOUT, "start_app"));
    awaitAllRunning(first);
    long done = System.nanoTime();
    log.info(
        "Started a {}-node RabbitMQ cluster in {} ms (boot {} ms, join {} ms): {} in {}",
        nodes.size(),
        (done - start) / 1_000_000,
        (booted - start) / 1_000_000,
        (done - booted) / 1_000_000,
        addresses(),
        run);
  }

  /** Each node's AMQP address, {@code 127.0.0.1:PORT}, in node order. */
  public List<String> addresses() {
    return nodes.stream().map(node -> "127.0.0.1:" + node.amqpPort()).toList();
  }

  /** How many nodes the cluster has. */
  public int size() {
    return nodes.size();
  }

  /** The AMQP port of node {@code node} (from 1). */
  public int port(int node) {
    return node(node).amqpPort();
  }

  /** The Erlang node name of node {@code node}, e.g. {@code cqrsk3x9q2n1@localhost}. */
  public String nodeName(int node) {
    return node(node).name();
  }

  /** The number (from 1) of the node named {@code nodeName}. */
  public int nodeIndex(String nodeName) {
    Objects.requireNonNull(nodeName, "nodeName");
    return nodes.stream()
        .filter(node -> node.name().equals(nodeName))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No node " + nodeName + " in " + run))
        .index();
  }

  /** {@code amqp://guest:guest@127.0.0.1:PORT/%2f} for node {@code node}. */
  public String amqpUri(int node) {
    return "amqp://guest:guest@127.0.0.1:" + port(node) + "/%2f";
  }

  /** The node's RabbitMQ log, for a failing test's message. */
  public Path logFile(int node) {
    return node(node).logFile();
  }

  /** Whether the node's process is alive and not frozen. */
  public boolean isRunning(int node) {
    RabbitClusterNode target = node(node);
    return target.state() == State.RUNNING && target.processAlive();
  }

  /**
   * Crashes the node: SIGKILLs its {@code beam.smp} and returns once the process is gone and its
   * AMQP port refuses connections. A frozen node can be killed too.
   */
  public void kill(int node) {
    RabbitClusterNode target = node(node);
    requireState(target, State.RUNNING, State.FROZEN);
    long start = System.nanoTime();
    target.kill();
    log.info("Killed {} in {} ms", target.name(), (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * Freezes the node as a hung host would be (SIGSTOP): its sockets stay open, nothing answers.
   * Measured here: quorum queues it led had a new leader within 8 s; its peers declared it down
   * only after the net tick time (60 s), and until then {@code cluster_status} and {@code
   * list_queues} through them blocked. Thawed after that, it restarts its RabbitMQ app and rejoins
   * (partition handling {@code autoheal}; 7 s after a 75 s freeze); {@link #awaitAllRunning} waits
   * for it.
   */
  public void freeze(int node) {
    RabbitClusterNode target = node(node);
    requireState(target, State.RUNNING);
    target.signal("STOP", State.FROZEN);
  }

  /** Lets a frozen node go on (SIGCONT); returns at once. */
  public void thaw(int node) {
    RabbitClusterNode target = node(node);
    requireState(target, State.FROZEN);
    target.signal("CONT", State.RUNNING);
  }

  /**
   * Starts a killed node again on its data and returns once {@code cluster_status}, asked of that
   * node, shows it and every other node that is neither killed nor frozen running: it rejoins by
   * itself.
   */
  public void restart(int node) {
    RabbitClusterNode target = node(node);
    if (target.state() != State.KILLED && target.processAlive()) {
      throw new IllegalStateException(target.name() + " is " + target.state() + "; kill it first");
    }
    long start = System.nanoTime();
    target.boot();
    awaitAllRunning(target);
    log.info("Restarted {} in {} ms", target.name(), (System.nanoTime() - start) / 1_000_000);
  }

  /** The names of the running nodes in {@code cluster_status} as node {@code viaNode} sees it. */
  public List<String> runningNodes(int viaNode) {
    JsonNode status = json(rabbitmqctl(viaNode, "cluster_status", "--formatter", "json"));
    List<String> running = new ArrayList<>();
    status.path("running_nodes").forEach(name -> running.add(name.asText()));
    return running;
  }

  /**
   * Runs {@code rabbitmqctl} against the node and returns its standard output. Fails after 90 s;
   * commands that ask every node (such as {@code cluster_status}, {@code list_queues}) block while
   * another node is frozen, until the net tick time declares it down.
   */
  public String rabbitmqctl(int node, String... arguments) {
    return node(node).run("rabbitmqctl", COMMAND_TIMEOUT, arguments);
  }

  /** Runs {@code rabbitmq-queues} against the node (90 s deadline); returns its standard output. */
  public String rabbitmqQueues(int node, String... arguments) {
    return node(node).run("rabbitmq-queues", COMMAND_TIMEOUT, arguments);
  }

  /**
   * The name of the node hosting the leader of quorum queue {@code queue} of vhost {@code /}: the
   * member whose Raft state is {@code leader} (the highest term wins) in {@code rabbitmq-queues
   * quorum_status}, asked of the first node that neither is killed nor frozen. A lost leader is
   * replaced at once after a kill (the survivors' Erlang monitors fire), within seconds after a
   * freeze. Not {@code list_queues leader}: it blocks while any node is frozen, and the queue
   * record it reads names the lost leader until then.
   *
   * @throws IllegalStateException if no member leads (an election is under way), or there is no
   *     such queue (the command's message says so)
   */
  public String quorumLeader(String queue) {
    Objects.requireNonNull(queue, "queue");
    RabbitClusterNode via =
        nodes.stream()
            .filter(node -> isRunning(node.index()))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("No node runs"));
    JsonNode members =
        json(
            via.run(
                "rabbitmq-queues",
                QUORUM_STATUS_TIMEOUT,
                "quorum_status",
                queue,
                "--formatter",
                "json"));
    String leader = null;
    long term = -1;
    for (JsonNode member : members) {
      // {"Node Name": ..., "Raft State": "leader" | "follower" | "timeout" | [...], "Term": ...}
      if ("leader".equals(member.path("Raft State").asText())
          && member.path("Term").asLong(-1) > term) {
        leader = member.path("Node Name").asText();
        term = member.path("Term").asLong(-1);
      }
    }
    if (leader == null) {
      throw new IllegalStateException("No member of " + queue + " leads: " + members);
    }
    return leader;
  }

  /**
   * Returns once {@code cluster_status}, asked of node {@code viaNode}, shows every node that is
   * neither killed nor frozen running, e.g. after a long freeze ({@link #freeze}). While a node is
   * frozen, each {@code cluster_status} blocks until the net tick time declares it down.
   *
   * @throws IllegalStateException if they do not all run within 120 s
   */
  public void awaitAllRunning(int viaNode) {
    awaitAllRunning(node(viaNode));
  }

  /**
   * Kills every node, frozen ones included, waits until their processes are gone and deletes the
   * run directory. Idempotent.
   */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to; destroy() below is idempotent.
    }
    destroy();
  }

  private void destroy() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long start = System.nanoTime();
    for (RabbitClusterNode node : nodes) {
      if (node.state() == State.FROZEN) {
        try {
          node.signal("CONT", State.RUNNING);
        } catch (RuntimeException e) {
          log.warn("Could not thaw {}; killing it frozen", node.name(), e);
        }
      }
    }
    try {
      RabbitClusterRuns.destroy(run);
      log.info("Stopped the cluster in {} in {} ms", run, (System.nanoTime() - start) / 1_000_000);
    } catch (RuntimeException e) {
      log.warn("Could not remove the cluster in {}", run, e);
    }
  }

  private void awaitAllRunning(RabbitClusterNode via) {
    Set<String> all =
        new HashSet<>(
            nodes.stream()
                .filter(node -> node.state() == State.RUNNING)
                .map(RabbitClusterNode::name)
                .toList());
    long deadline = System.nanoTime() + RUNNING_TIMEOUT.toNanos();
    String seen = "nothing yet";
    while (true) {
      try {
        List<String> running = runningNodes(via.index());
        if (running.containsAll(all)) {
          return;
        }
        seen = "running " + running;
      } catch (RuntimeException e) {
        seen = e.getMessage();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "Not every node of "
                + all
                + " ran within "
                + RUNNING_TIMEOUT.toSeconds()
                + " s according to "
                + via.name()
                + ": "
                + seen);
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }

  private RabbitClusterNode node(int node) {
    if (node < 1 || node > nodes.size()) {
      throw new IllegalArgumentException(
          "node must be between 1 and " + nodes.size() + ", was " + node);
    }
    return nodes.get(node - 1);
  }

  private static void requireState(RabbitClusterNode node, State... allowed) {
    if (!List.of(allowed).contains(node.state())) {
      throw new IllegalStateException(
          node.name() + " is " + node.state() + ", not " + List.of(allowed));
    }
  }

  private static JsonNode json(String output) {
    // Informational lines may precede the JSON document.
    int object = output.indexOf('{');
    int array = output.indexOf('[');
    int start = object < 0 ? array : array < 0 ? object : Math.min(object, array);
    try {
      return JSON.readTree(output.substring(Math.max(start, 0)));
    } catch (IOException e) {
      throw new IllegalStateException("Not JSON: " + ExternalCommand.tail(output), e);
    }
  }
}
