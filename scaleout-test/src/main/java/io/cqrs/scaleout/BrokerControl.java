package io.cqrs.scaleout;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the harness does to RabbitMQ: reads queue depths over AMQP (passive declarations, cheap
 * enough to poll) and, through {@code rabbitmqctl} where it can reach the broker, lists a prefix's
 * queues, force-closes the run's connections and, on a {@link PrivateBroker} only, stops and starts
 * the broker application. On a {@link BrokerCluster} of the run's own, {@code rabbitmqctl} goes
 * through any node that runs and the AMQP probe connection to any node that takes it.
 *
 * <p>{@code rabbitmqctl} is used only for a broker on this machine (the AMQP host is a loopback
 * address) and when it answers. On a shared broker the harness touches nothing but its own
 * connections and queues: stopping the application of a broker other people use breaks their work,
 * so {@link #mayStopBroker()} is true only for the harness's private node.
 */
public final class BrokerControl implements AutoCloseable {
  private static final Pattern CONNECTION_NAME =
      Pattern.compile("\\{\"connection_name\",\"([^\"]*)\"}");

  private final ConnectionFactory factory;
  private final Function<String[], String> rabbitmqctl;
  private final String whyNoCtl;
  private final boolean privateNode;
  private final List<Address> addresses;
  private Connection connection;
  private Channel probe;

  private BrokerControl(
      ConnectionFactory factory,
      Function<String[], String> rabbitmqctl,
      String whyNoCtl,
      boolean privateNode) {
    this(factory, rabbitmqctl, whyNoCtl, privateNode, List.of());
  }

  private BrokerControl(
      ConnectionFactory factory,
      Function<String[], String> rabbitmqctl,
      String whyNoCtl,
      boolean privateNode,
      List<Address> addresses) {
    this.factory = factory;
    this.rabbitmqctl = rabbitmqctl;
    this.whyNoCtl = whyNoCtl;
    this.privateNode = privateNode;
    this.addresses = List.copyOf(addresses);
  }

  /** Control of a broker others may use, which {@code factory} connects to: never stopped. */
  public static BrokerControl shared(ConnectionFactory factory) {
    File ctl = onPath("rabbitmqctl");
    if (!isLoopback(factory.getHost())) {
      return new BrokerControl(factory, null, "the broker is not on this machine", false);
    }
    if (ctl == null) {
      return new BrokerControl(factory, null, "rabbitmqctl is not on the PATH", false);
    }
    BrokerControl control =
        new BrokerControl(factory, arguments -> run(ctl, arguments), null, false);
    try {
      control.ctl("status");
      return control;
    } catch (RuntimeException e) {
      return new BrokerControl(
          factory, null, "rabbitmqctl does not answer: " + e.getMessage(), false);
    }
  }

  /** Full control of the harness's own node, which it may stop and start. */
  public static BrokerControl of(PrivateBroker broker) {
    return new BrokerControl(broker.connectionFactory(), broker::ctl, null, true);
  }

  /**
   * Full control of a cluster of the run's own: {@code rabbitmqctl} through the first node that
   * runs, the probe connection to any node, so that both work while a node is down.
   */
  public static BrokerControl of(BrokerCluster cluster) {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(cluster.port(1));
    // A probe lost with its node is replaced by a new connection to another node (connection());
    // a recovering copy in the background would only linger.
    factory.setAutomaticRecoveryEnabled(false);
    // A queue electing a new leader must not hold a poll for the client's default 10 minutes.
    factory.setChannelRpcTimeout((int) Duration.ofSeconds(10).toMillis());
    List<Address> nodes =
        cluster.nodes().stream().map(n -> new Address("127.0.0.1", cluster.port(n))).toList();
    return new BrokerControl(
        factory,
        arguments -> cluster.rabbitmqctl(cluster.anyRunningNode(), arguments),
        null,
        true,
        nodes);
  }

  /** Whether {@code rabbitmqctl} reaches the broker, so connections can be force-closed. */
  public boolean hasCtl() {
    return rabbitmqctl != null;
  }

  /** Why {@code rabbitmqctl} cannot be used, or {@code null}. */
  public String whyNoCtl() {
    return whyNoCtl;
  }

  /** Whether the harness may stop and start the broker application: on its private node only. */
  public boolean mayStopBroker() {
    return privateNode;
  }

  /**
   * The type ({@code classic}, {@code quorum}) of every queue whose name starts with {@code prefix
   * + "."}, by {@code rabbitmqctl}.
   */
  public Map<String, String> queueTypes(String prefix) {
    Map<String, String> types = new LinkedHashMap<>();
    for (String line :
        ctl(
                "list_queues",
                "-p",
                factory.getVirtualHost(),
                "-q",
                "--no-table-headers",
                "name",
                "type")
            .split("\n")) {
      String[] columns = line.strip().split("\t");
      if (columns.length == 2 && columns[0].startsWith(prefix + ".")) {
        types.put(columns[0], columns[1].strip());
      }
    }
    return types;
  }

  /** Every queue whose name starts with {@code prefix + "."}, by {@code rabbitmqctl}. */
  public List<String> queuesOf(String prefix) {
    return namesOf("list_queues", prefix);
  }

  /** The names a {@code rabbitmqctl list_*} command lists that start with {@code prefix + "."}. */
  private List<String> namesOf(String listCommand, String prefix) {
    List<String> names = new ArrayList<>();
    for (String line :
        ctl(listCommand, "-p", factory.getVirtualHost(), "-q", "--no-table-headers", "name")
            .split("\n")) {
      if (line.strip().startsWith(prefix + ".")) {
        names.add(line.strip());
      }
    }
    return names;
  }

  /**
   * Deletes every queue and exchange whose name starts with {@code prefix + "."}, found by {@code
   * rabbitmqctl}: what the run's processes declared on a broker that outlives the run.
   *
   * @return how many queues and exchanges were deleted
   */
  public synchronized int deleteTopology(String prefix) {
    List<String> exchanges = namesOf("list_exchanges", prefix);
    List<String> queues = queuesOf(prefix);
    try (Channel channel = connection().createChannel()) {
      for (String queue : queues) {
        channel.queueDelete(queue);
      }
      for (String exchange : exchanges) {
        channel.exchangeDelete(exchange);
      }
    } catch (IOException | TimeoutException e) {
      throw new IllegalStateException("Could not delete the topology under " + prefix, e);
    }
    return queues.size() + exchanges.size();
  }

  /**
   * The number of messages (ready and unacknowledged) in each queue; a queue that does not exist is
   * left out.
   */
  public synchronized Map<String, Long> depths(List<String> queues) {
    Map<String, Long> depths = new LinkedHashMap<>();
    for (String queue : queues) {
      try {
        depths.put(queue, (long) probe().queueDeclarePassive(queue).getMessageCount());
      } catch (IOException | TimeoutException | RuntimeException e) {
        // The broker closes the channel when the queue does not exist: the next probe opens one.
        probe = null;
      }
    }
    return depths;
  }

  /**
   * The channel the depths are read on, kept open between polls: a channel per queue and poll (as
   * before) made the broker open and close hundreds of channels a second during a throughput run,
   * CPU taken from the workers being measured.
   */
  private Channel probe() throws IOException, TimeoutException {
    if (probe == null || !probe.isOpen()) {
      probe = connection().createChannel();
    }
    return probe;
  }

  /**
   * The number of consumers of each queue; a queue that does not exist or does not answer (a quorum
   * queue electing a leader) is left out.
   */
  public synchronized Map<String, Integer> consumers(List<String> queues) {
    Map<String, Integer> consumers = new LinkedHashMap<>();
    for (String queue : queues) {
      try (Channel channel = connection().createChannel()) {
        consumers.put(queue, channel.queueDeclarePassive(queue).getConsumerCount());
      } catch (IOException | TimeoutException | RuntimeException e) {
        // Left out: the caller asks again.
      }
    }
    return consumers;
  }

  /**
   * The message ids of every message in {@code queue}, read without removing them: they are fetched
   * unacknowledged and return to the queue when the channel closes.
   */
  public synchronized List<String> drainIds(String queue) throws IOException {
    List<String> ids = new ArrayList<>();
    try (Channel channel = connection().createChannel()) {
      for (GetResponse response = channel.basicGet(queue, false);
          response != null;
          response = channel.basicGet(queue, false)) {
        ids.add(String.valueOf(response.getProps().getMessageId()));
      }
    } catch (TimeoutException e) {
      throw new IOException("Could not read " + queue, e);
    }
    return ids;
  }

  /**
   * Force-closes, as an operator would, every connection whose client-provided name contains {@code
   * fragment}.
   *
   * @return how many were closed
   */
  public int closeConnections(String fragment, String reason) {
    List<String> pids = new ArrayList<>();
    for (String line :
        ctl("list_connections", "-q", "--no-table-headers", "pid", "client_properties")
            .split("\n")) {
      Matcher name = CONNECTION_NAME.matcher(line);
      int tab = line.indexOf('\t');
      if (tab > 0 && name.find() && name.group(1).contains(fragment)) {
        pids.add(line.substring(0, tab).strip());
      }
    }
    pids.parallelStream().forEach(pid -> ctl("close_connection", pid, reason));
    return pids.size();
  }

  /**
   * The broker connections whose client-provided name contains {@code fragment}, by the AMQP port
   * of the node that holds them ({@code rabbitmqctl list_connections port client_properties}).
   */
  public Map<Integer, List<String>> connectionsByPort(String fragment) {
    return connectionsByPort(
        ctl("list_connections", "-q", "--no-table-headers", "port", "client_properties"), fragment);
  }

  /** Parses {@code rabbitmqctl list_connections port client_properties} output. */
  static Map<Integer, List<String>> connectionsByPort(String output, String fragment) {
    Map<Integer, List<String>> byPort = new TreeMap<>();
    for (String line : output.split("\n")) {
      Matcher name = CONNECTION_NAME.matcher(line);
      int tab = line.indexOf('\t');
      if (tab > 0 && name.find() && name.group(1).contains(fragment)) {
        int port = Integer.parseInt(line.substring(0, tab).strip());
        byPort.computeIfAbsent(port, p -> new ArrayList<>()).add(name.group(1));
      }
    }
    return byPort;
  }

  /**
   * {@code rabbitmqctl stop_app}: every connection drops and the broker refuses new ones.
   *
   * @throws IllegalStateException unless this is the harness's private node
   */
  public void stopApp() {
    if (!privateNode) {
      throw new IllegalStateException("stop_app is only ever run on the harness's private node");
    }
    ctl("stop_app");
  }

  /** {@code rabbitmqctl start_app}, then waits until the broker accepts connections again. */
  public void startApp() {
    ctl("start_app");
    ctl("await_startup");
  }

  private synchronized Connection connection() throws IOException, TimeoutException {
    if (connection == null || !connection.isOpen()) {
      connection =
          addresses.isEmpty()
              ? factory.newConnection("scaleout-harness-probe")
              : factory.newConnection(addresses, "scaleout-harness-probe");
    }
    return connection;
  }

  private String ctl(String... arguments) {
    if (rabbitmqctl == null) {
      throw new IllegalStateException("rabbitmqctl cannot be used: " + whyNoCtl);
    }
    return rabbitmqctl.apply(arguments);
  }

  private static String run(File rabbitmqctl, String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(rabbitmqctl.getPath());
    command.addAll(Arrays.asList(arguments));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output.strip());
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not run rabbitmqctl", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while running rabbitmqctl", e);
    }
  }

  /** Whether {@code host} names this machine. */
  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  private static File onPath(String command) {
    List<String> directories =
        new ArrayList<>(Arrays.asList(System.getenv().getOrDefault("PATH", "").split(":")));
    directories.addAll(List.of("/usr/sbin", "/usr/lib/rabbitmq/bin", "/usr/local/sbin"));
    for (String directory : directories) {
      File candidate = new File(directory, command);
      if (candidate.canExecute()) {
        return candidate;
      }
    }
    return null;
  }

  /** Closes the probe connection. */
  @Override
  public synchronized void close() {
    if (connection != null && connection.isOpen()) {
      try {
        connection.close();
      } catch (IOException e) {
        // Shutting down; the broker drops the connection anyway.
      }
    }
  }
}
