package io.cqrs.scaleout;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.example.bank.Await;
import io.cqrs.example.bank.DistributedBank;
import io.cqrs.example.bank.InfrastructureOptions;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.rabbitmq.RabbitCommandBus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One scale-out run: starts the workers, opens the hot accounts, sends poison messages, starts the
 * publishers, injects the configured faults while commands flow, waits for quiescence, then reads
 * the store, the read models and the queues and checks every invariant.
 *
 * <p>Every process gets the servers through the {@code CQRS_*} environment variables and one fresh
 * prefix, both the Couchbase key prefix and the RabbitMQ name prefix, so runs never see each
 * other's data. A run given a {@link BrokerCluster} gives every process all of its nodes' URIs
 * ({@code CQRS_RABBITMQ_URI}, comma-separated; each bus shuffles them, so connections spread).
 */
public final class ScaleoutRun {
  /** How often a condition that asks the servers or a child process is checked while awaited. */
  private static final Duration POLL = Duration.ofMillis(100);

  /**
   * The worker main class unless {@code -Dscaleout.worker=...} picks another with the same
   * command-line contract: example-bank's {@code BankApplication}, run as {@code worker --store
   * couchbase --bus rabbitmq --prefix P --listeners N}.
   */
  public static final String DEFAULT_WORKER = "io.cqrs.example.bank.BankApplication";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration READ_MODEL_TIMEOUT = Duration.ofSeconds(30);

  /** The publisher name, and message id prefix, of the warm-up's commands. */
  static final String WARMUP = "warmup";

  private final RunConfig config;
  private final Servers servers;
  private final Path directory;
  private final PrintStream progress;
  private final BrokerCluster cluster;
  private final String prefix =
      "so" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
  private final TypeRegistry types = BankTypes.registry();
  private final FaultLog faults;

  /**
   * A run.
   *
   * @param directory where process output and sent-command files go
   * @param progress where progress lines go
   */
  public ScaleoutRun(RunConfig config, Servers servers, Path directory, PrintStream progress) {
    this(config, servers, null, directory, progress);
  }

  /**
   * A run on a RabbitMQ cluster of its own: every process gets the URIs of all its nodes, and the
   * node-loss fault ({@link RunConfig#killBrokerNode()}) kills and restarts one of them. The
   * Couchbase of {@code servers} is used; its RabbitMQ is not.
   *
   * @param cluster the cluster, or {@code null} for a run on the broker of {@code servers}
   */
  public ScaleoutRun(
      RunConfig config,
      Servers servers,
      BrokerCluster cluster,
      Path directory,
      PrintStream progress) {
    this.config = Objects.requireNonNull(config, "config");
    this.servers = Objects.requireNonNull(servers, "servers");
    this.cluster = cluster;
    this.directory = directory.resolve(prefix);
    this.progress = Objects.requireNonNull(progress, "progress");
    this.faults = new FaultLog(this::say);
    if (config.killBrokerNode() && cluster == null) {
      throw new IllegalArgumentException(
          "run '" + config.label() + "' kills a broker node and needs a cluster");
    }
  }

  /** Runs it and returns what happened; the processes it started are stopped in every case. */
  public RunResult run() throws IOException {
    Files.createDirectories(directory);
    if (cluster != null) {
      Servers onCluster =
          servers.withRabbit(
              String.join(",", cluster.uris()), cluster.describe(), nodeFactory(cluster));
      return run(
          onCluster,
          BrokerControl.of(cluster),
          cluster.describe(),
          "the run's broker is its own cluster, whose nodes it kills rather than stops");
    }
    String whyShared = whySharedBroker();
    PrivateBroker own = whyShared == null ? startPrivateBroker() : null;
    try (PrivateBroker closedLast = own) {
      Servers runServers =
          own == null
              ? servers
              : servers.withRabbit(own.uri(), own.toString(), own.connectionFactory());
      String broker =
          own == null
              ? servers.rabbitDescription()
              : own + ", started in " + own.startup().toMillis() / 100 / 10.0 + " s";
      return run(
          runServers,
          own == null ? BrokerControl.shared(servers.rabbitFactory()) : BrokerControl.of(own),
          broker,
          whyShared);
    }
  }

  private RunResult run(
      Servers servers, BrokerControl broker, String brokerDescription, String whyShared)
      throws IOException {
    say("run '" + config.label() + "' with prefix " + prefix + " on " + servers);
    Map<String, String> environment = new HashMap<>(servers.environment());
    environment.put(
        InfrastructureOptions.QUEUE_TYPE_VARIABLE,
        config.queueType().name().toLowerCase(Locale.ROOT));
    Processes processes = new Processes(prefix, environment, directory, progress);
    try (processes;
        broker;
        CouchbaseEventStreamRepository store = store();
        RabbitCommandBus bus =
            RabbitCommandBus.builder(servers.rabbitFactory(), new EventSerializer(types))
                .prefix(prefix)
                .connectionName(prefix + "-harness")
                .build();
        FaultInjector injector =
            new FaultInjector(config, processes, broker, whyShared, cluster, prefix, faults)) {
      List<ChildProcess> workers =
          processes.startWorkers(config.workers() + (config.slowConsumer() ? 1 : 0), START_TIMEOUT);
      ChildProcess slow = config.slowConsumer() ? workers.get(workers.size() - 1) : null;
      if (slow != null) {
        processes.annotate(slow, "slow consumer");
      }
      List<SentCommand> sent = new ArrayList<>(CommandPlan.openings(config.accounts()));
      for (SentCommand opening : sent) {
        bus.publish(CommandPlan.toCommand(opening, types));
      }
      try {
        Await.await("the hot accounts to be opened")
            .atMost(START_TIMEOUT)
            .pollInterval(POLL)
            .until(() -> config.accounts().stream().allMatch(a -> store.version(a) == 1));
      } catch (ConditionTimeoutException e) {
        throw new IllegalStateException("the hot accounts were not opened within " + START_TIMEOUT);
      }
      Quiescence quiet = new Quiescence(store, broker, prefix, progress);
      int duplicates = 0;
      Duration warmup = Duration.ZERO;
      List<ChildProcess> publishers;
      if (config.warmupCommands() > 0) {
        // Started first, so that their JVMs start and connect while the workers warm up, and the
        // clock starts on publishers ready to send, as a service's clients would be.
        publishers = processes.startPublishers(config, true);
        List<SentCommand> publications = warmupPublications();
        List<SentCommand> commands = SentCommand.distinct(publications);
        warmup = warmUp(bus, quiet, publications);
        sent.addAll(commands);
        duplicates += publications.size() - commands.size();
        for (ChildProcess publisher : publishers) {
          publisher.awaitMarker("READY", START_TIMEOUT);
        }
      } else {
        publishers = List.of();
      }
      // The run's clock starts here, so that the poison messages are on the charts too.
      faults.start();
      Poison poison = Poison.send(servers.rabbitFactory(), prefix, config.poisonMessages());
      if (config.poisonMessages() > 0) {
        faults.injected(
            config.poisonMessages() + " poison",
            config.poisonMessages() + " poison messages sent to the command exchange");
      }
      if (publishers.isEmpty()) {
        publishers = processes.startPublishers(config, false);
      } else {
        publishers.forEach(publisher -> publisher.tell("GO"));
      }
      injector.runWhile(publishers, slow);
      Duration publishing = faults.elapsed();
      for (ChildProcess publisher : publishers) {
        int status = publisher.awaitExit(PUBLISH_TIMEOUT);
        processes.ended(publisher, status);
        if (status != 0) {
          throw new IllegalStateException(publisher.name() + " failed; see " + publisher.log());
        }
        List<SentCommand> publications = readSent(processes.sentFile(publisher));
        List<SentCommand> commands = SentCommand.distinct(publications);
        sent.addAll(commands);
        duplicates += publications.size() - commands.size();
      }
      say(
          "published "
              + sent.size()
              + " commands, "
              + duplicates
              + " of them twice, in "
              + publishing.toSeconds()
              + " s");
      boolean settled = quiet.await(config.quiescenceTimeout(), faults::elapsed);
      Duration settledAfter = settled ? quiet.settledAt() : faults.elapsed();
      QueueState queues = quiet.finalState(poison);
      StoreContents contents = StoreContents.read(store, streamIds(sent));
      // Read while the workers still run: their read models' processors apply the last committed
      // events after the queues look empty.
      ReadModelContents views = readModels(environment, contents, sent);
      injector.close();
      processes.stopWorkers();
      RunResult result =
          new Evaluation(
                  config,
                  prefix,
                  brokerDescription,
                  processes,
                  faults,
                  sent,
                  duplicates,
                  config.warmupCommands(),
                  warmup,
                  contents,
                  views,
                  queues,
                  settled,
                  injector.nodeLoss(),
                  this::nodeName)
              .result(publishing, settledAfter);
      cleanUp(broker, result.passed());
      say(
          String.format(
              "run '%s' done: %d commands, %.0f commands/s, %s",
              config.label(),
              result.sent(),
              result.commandsPerSecond(),
              result.passed()
                  ? "all " + result.checks().size() + " invariants hold"
                  : "INVARIANTS VIOLATED:\n" + Report.failures(result)));
      return result;
    }
  }

  /**
   * The warm-up's publications: a plan like a publisher's ({@link CommandPlan#generate}, under the
   * name {@value #WARMUP}) with the same share of duplicates, with no send time, so that neither
   * the run's figure nor its timeline counts them.
   */
  private List<SentCommand> warmupPublications() {
    return CommandPlan.publications(
        CommandPlan.generate(WARMUP, config.seed(), config.accounts(), config.warmupCommands()),
        config.duplicatePercent(),
        config.seed() ^ WARMUP.hashCode());
  }

  /**
   * Sends the warm-up through the harness's bus, in the publishers' batches, and waits until the
   * workers have settled it (queues empty, relay and processors caught up, the transfers it started
   * finished), so that the run's clock starts on warm workers and an empty backlog.
   *
   * @return how long the warm-up took from its first command sent until it was found settled
   */
  private Duration warmUp(RabbitCommandBus bus, Quiescence quiet, List<SentCommand> publications) {
    long start = System.nanoTime();
    for (int from = 0; from < publications.size(); from += Publisher.BATCH) {
      List<Command> batch =
          CommandPlan.toCommands(
              publications.subList(from, Math.min(publications.size(), from + Publisher.BATCH)),
              types);
      // As a publisher does: a batch the broker did not confirm in time is sent again.
      Publisher.publishUntilConfirmed(bus, batch, progress);
    }
    if (!quiet.await(
        config.quiescenceTimeout(), () -> Duration.ofNanos(System.nanoTime() - start))) {
      throw new IllegalStateException(
          "the warm-up's "
              + config.warmupCommands()
              + " commands did not settle within "
              + config.quiescenceTimeout());
    }
    Duration took = quiet.settledAt();
    say(
        String.format(
            "warm-up: %d commands (%d publications) settled in %.1f s, %.0f commands/s",
            config.warmupCommands(),
            publications.size(),
            took.toMillis() / 1000.0,
            config.warmupCommands() / Math.max(0.001, took.toMillis() / 1000.0)));
    return took;
  }

  /**
   * Why this run uses the broker it was given rather than a private node of its own, or {@code
   * null} if it needs and may start one: only a run that stops and starts the broker does, and only
   * where RabbitMQ is installed and the given broker is on this machine too (a remote broker is the
   * one to test, and is never stopped).
   */
  private String whySharedBroker() {
    if (!config.restartBroker()) {
      return "this run does not stop the broker";
    }
    if ("false".equalsIgnoreCase(System.getenv("CQRS_SCALEOUT_PRIVATE_BROKER"))) {
      return "CQRS_SCALEOUT_PRIVATE_BROKER=false, and the harness never stops a shared broker";
    }
    if (!BrokerControl.isLoopback(servers.rabbitFactory().getHost())) {
      return "the broker ("
          + servers.rabbitDescription()
          + ") is not on this machine; the harness stops no broker but a private node of its own";
    }
    return PrivateBroker.unavailable()
        .map(why -> why + ", so no private node; the harness never stops a shared broker")
        .orElse(null);
  }

  /**
   * Deletes the run's queues and exchanges from a broker that outlives it once every invariant
   * held; after a violation they stay, with their messages, as evidence. A private node goes away
   * with the run.
   */
  private void cleanUp(BrokerControl broker, boolean passed) {
    if (broker.mayStopBroker()) {
      return;
    }
    if (!passed) {
      say("invariants violated: the queues and exchanges under " + prefix + " are kept");
    } else if (!broker.hasCtl()) {
      say("queues and exchanges under " + prefix + " left in place: " + broker.whyNoCtl());
    } else {
      say("deleted " + broker.deleteTopology(prefix) + " queues and exchanges under " + prefix);
    }
  }

  private PrivateBroker startPrivateBroker() throws IOException {
    say("starting a private RabbitMQ node for this run's broker faults");
    PrivateBroker own = PrivateBroker.start(directory.resolve("rabbitmq"), START_TIMEOUT);
    say("started " + own + " in " + own.startup().toMillis() + " ms");
    return own;
  }

  private CouchbaseEventStreamRepository store() {
    return CouchbaseEventStreamRepository.builder(
            servers.couchbaseConnection(), new EventSerializer(types))
        .credentials(servers.couchbaseUsername(), servers.couchbasePassword())
        .bucket(servers.couchbaseBucket())
        .keyPrefix(prefix)
        .build();
  }

  /** The read models as another process reads them, through example-bank's public API. */
  private ReadModelContents readModels(
      Map<String, String> environment, StoreContents contents, List<SentCommand> sent) {
    try (DistributedBank bank = DistributedBank.fromEnvironment(prefix, environment)) {
      return ReadModelContents.awaitCaughtUp(bank, contents, sent, READ_MODEL_TIMEOUT);
    }
  }

  /** Every stream a sent command names, opened or not. */
  private static Set<String> streamIds(List<SentCommand> sent) {
    Set<String> ids = new HashSet<>();
    for (SentCommand command : sent) {
      ids.add(command.accountId());
      if (command.transferId() != null) {
        ids.add(command.transferId());
      }
    }
    return ids;
  }

  /** A factory for the harness's own connections to a cluster: node 1. */
  private static ConnectionFactory nodeFactory(BrokerCluster cluster) {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(cluster.port(1));
    return factory;
  }

  /** A node's short name for the report: {@code n2} on a cluster, else its address. */
  private String nodeName(String address) {
    if (cluster != null && address.startsWith("127.0.0.1:")) {
      int node = cluster.nodeOfPort(Integer.parseInt(address.substring("127.0.0.1:".length())));
      if (node > 0) {
        return "n" + node;
      }
    }
    return address;
  }

  private static List<SentCommand> readSent(Path file) throws IOException {
    return Files.readAllLines(file).stream()
        .filter(line -> !line.isBlank())
        .map(SentCommand::fromJsonLine)
        .toList();
  }

  private void say(String line) {
    progress.println("[scaleout] " + line);
  }
}
