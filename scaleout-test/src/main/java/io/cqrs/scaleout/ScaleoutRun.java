package io.cqrs.scaleout;

import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.example.bank.DistributedBank;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.rabbitmq.RabbitCommandBus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One scale-out run: starts the workers, opens the hot accounts, sends poison messages, starts the
 * publishers, injects the configured faults while commands flow, waits for quiescence, then reads
 * the store, the read models and the queues and checks every invariant.
 *
 * <p>Every process gets the servers through the {@code CQRS_*} environment variables and one fresh
 * prefix, both the Couchbase key prefix and the RabbitMQ name prefix, so runs never see each
 * other's data.
 */
public final class ScaleoutRun {
  /**
   * The worker main class unless {@code -Dscaleout.worker=...} picks another with the same
   * command-line contract: example-bank's {@code BankApplication}, run as {@code worker --store
   * couchbase --bus rabbitmq --prefix P --listeners N}.
   */
  public static final String DEFAULT_WORKER = "io.cqrs.example.bank.BankApplication";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration READ_MODEL_TIMEOUT = Duration.ofSeconds(30);

  private final RunConfig config;
  private final Servers servers;
  private final Path directory;
  private final PrintStream progress;
  private final String prefix =
      "so" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
  private final TypeRegistry types = BankTypes.registry();
  private final Processes processes;
  private final List<String> faults = new ArrayList<>();
  private long startNanos;

  /**
   * A run.
   *
   * @param directory where process output and sent-command files go
   * @param progress where progress lines go
   */
  public ScaleoutRun(RunConfig config, Servers servers, Path directory, PrintStream progress) {
    this.config = Objects.requireNonNull(config, "config");
    this.servers = Objects.requireNonNull(servers, "servers");
    this.directory = directory.resolve(prefix);
    this.progress = Objects.requireNonNull(progress, "progress");
    this.processes = new Processes(prefix, servers, this.directory, progress);
  }

  /** Runs it and returns what happened; the processes it started are stopped in every case. */
  public RunResult run() throws IOException {
    Files.createDirectories(directory);
    say("run '" + config.label() + "' with prefix " + prefix + " on " + servers);
    try (CouchbaseEventStreamRepository store = store();
        BrokerControl broker = BrokerControl.of(servers.rabbitFactory());
        RabbitCommandBus bus =
            RabbitCommandBus.builder(servers.rabbitFactory(), new EventSerializer(types))
                .prefix(prefix)
                .connectionName(prefix + "-harness")
                .build()) {
      processes.startWorkers(config.workers(), START_TIMEOUT);
      List<SentCommand> sent = new ArrayList<>(CommandPlan.openings(config.accounts()));
      for (SentCommand opening : sent) {
        bus.publish(CommandPlan.toCommand(opening, types));
      }
      if (!Await.until(
          () -> config.accounts().stream().allMatch(a -> store.version(a) == 1), START_TIMEOUT)) {
        throw new IllegalStateException("the hot accounts were not opened within " + START_TIMEOUT);
      }
      Poison poison = Poison.send(servers.rabbitFactory(), prefix, config.poisonMessages());
      startNanos = System.nanoTime();
      List<ChildProcess> publishers = processes.startPublishers(config);
      new FaultInjector(config, processes, broker, prefix, this::fault).runWhile(publishers);
      Duration publishing = elapsed();
      for (ChildProcess publisher : publishers) {
        int status = publisher.awaitExit(PUBLISH_TIMEOUT);
        processes.ended(publisher, status);
        if (status != 0) {
          throw new IllegalStateException(publisher.name() + " failed; see " + publisher.log());
        }
        sent.addAll(readSent(processes.sentFile(publisher)));
      }
      say("published " + sent.size() + " commands in " + publishing.toSeconds() + " s");
      Quiescence quiet = new Quiescence(store, broker, prefix, progress);
      boolean settled = quiet.await(config.quiescenceTimeout());
      Duration settledAfter = elapsed();
      QueueState queues = quiet.finalState(poison);
      StoreContents contents = StoreContents.read(store, streamIds(sent));
      // Read while the workers still run: a read model applies what was delivered last after the
      // queues look empty.
      ReadModelContents views = readModels(contents, sent);
      processes.stopWorkers();
      return new Evaluation(
              config, prefix, processes, faults, sent, contents, views, queues, settled)
          .result(publishing, settledAfter);
    } finally {
      processes.close();
    }
  }

  private CouchbaseEventStreamRepository store() {
    return CouchbaseEventStreamRepository.builder(
            servers.couchbaseConnection(),
            servers.couchbaseUsername(),
            servers.couchbasePassword(),
            servers.couchbaseBucket(),
            new EventSerializer(types))
        .keyPrefix(prefix)
        .build();
  }

  /** The read models as another process reads them, through example-bank's public API. */
  private ReadModelContents readModels(StoreContents contents, List<SentCommand> sent) {
    try (DistributedBank bank = DistributedBank.fromEnvironment(prefix, servers.environment())) {
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

  private void fault(String description) {
    String line = String.format("%5.1f s  %s", elapsed().toMillis() / 1000.0, description);
    faults.add(line);
    say("fault: " + line);
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
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
