package io.cqrs.scaleout;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The worker and publisher processes of a run: starts them, remembers every one (also the killed),
 * and stops what still runs.
 */
final class Processes implements AutoCloseable {
  /**
   * The node each broker connection reached and recovered on, a line per opening and recovery
   * ({@link ConnectionLog}): where a cluster run's connections went.
   */
  private static final String BROKER_CONNECTIONS_LOG =
      "-Dorg.slf4j.simpleLogger.log.io.cqrs.rabbitmq.BrokerConnection=info";

  private static final String CONNECTION_RECOVERY_LOG =
      "-Dorg.slf4j.simpleLogger.log.io.cqrs.rabbitmq.ConnectionStatus=info";

  /**
   * Which worker's relay leads, from where, and what it published that the fast path had not: what
   * a run whose log does not settle is diagnosed from.
   */
  private static final String RELAY_LOG = "-Dorg.slf4j.simpleLogger.log.io.cqrs.EventRelay=info";

  private static final List<String> JVM =
      List.of(
          "-Xmx256m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
          // Conflicts and skipped duplicates are logged at debug; the harness counts those lines.
          "-Dorg.slf4j.simpleLogger.log.io.cqrs.CommandDispatchManager=debug",
          BROKER_CONNECTIONS_LOG,
          CONNECTION_RECOVERY_LOG,
          RELAY_LOG);

  /**
   * Extra JVM options for every worker, from {@code -Dscaleout.workerJvmOptions} (separated by
   * spaces), for instance to record a flight recording of each: {@code
   * -XX:StartFlightRecording=filename=worker.jfr,settings=profile}.
   */
  private static final List<String> WORKER_JVM_OPTIONS =
      System.getProperty("scaleout.workerJvmOptions", "").isBlank()
          ? List.of()
          : List.of(System.getProperty("scaleout.workerJvmOptions").strip().split("\\s+"));

  /**
   * Listener threads per worker, for commands and for events each ({@code --listeners}): {@code
   * -Dscaleout.listeners}, 2 unless set.
   */
  static final int LISTENERS = Integer.getInteger("scaleout.listeners", 2);

  /** The variables a publisher reads: it needs the broker only. */
  private static final List<String> PUBLISHER_VARIABLES =
      List.of("CQRS_RABBITMQ_URI", "CQRS_RABBITMQ_QUEUE_TYPE");

  private final String prefix;
  private final Map<String, String> environment;
  private final Path directory;
  private final PrintStream progress;
  private final List<ChildProcess> workers = new CopyOnWriteArrayList<>();
  private final List<ChildProcess> all = new CopyOnWriteArrayList<>();
  private final List<String> table = new CopyOnWriteArrayList<>();
  private int started;

  /**
   * @param environment the {@code CQRS_*} variables every worker gets (servers and queue type); a
   *     publisher gets the RabbitMQ ones
   */
  Processes(String prefix, Map<String, String> environment, Path directory, PrintStream progress) {
    this.prefix = prefix;
    this.environment = Map.copyOf(environment);
    this.directory = directory;
    this.progress = progress;
  }

  /** Starts {@code count} workers at once, waits until each is consuming, and returns them. */
  List<ChildProcess> startWorkers(int count, Duration timeout) {
    List<ChildProcess> starting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      starting.add(launchWorker(List.of()));
    }
    starting.forEach(w -> w.awaitMarker("READY", timeout));
    return starting;
  }

  /** Starts one worker with extra JVM options and waits until it is consuming. */
  ChildProcess startWorker(List<String> extraJvmOptions, Duration timeout) {
    ChildProcess worker = launchWorker(extraJvmOptions);
    worker.awaitMarker("READY", timeout);
    return worker;
  }

  private synchronized ChildProcess launchWorker(List<String> extraJvmOptions) {
    String main = System.getProperty("scaleout.worker", ScaleoutRun.DEFAULT_WORKER);
    List<String> args =
        List.of(
            "worker",
            "--store",
            "couchbase",
            "--bus",
            "rabbitmq",
            "--prefix",
            prefix,
            "--listeners",
            String.valueOf(LISTENERS));
    List<String> jvm = new ArrayList<>(JVM);
    jvm.addAll(WORKER_JVM_OPTIONS);
    jvm.addAll(extraJvmOptions);
    String name = "worker-" + (++started);
    ChildProcess worker =
        ChildProcess.start(name, jvm, main, args, environment, directory, progress::println);
    workers.add(worker);
    all.add(worker);
    table.add(
        name + " pid " + worker.pid() + (extraJvmOptions.isEmpty() ? "" : " " + extraJvmOptions));
    return worker;
  }

  /**
   * Starts the publishers; they run on their own and exit when done.
   *
   * @param waitForGo whether each connects, prints {@code READY} and waits for {@code GO} ({@link
   *     ChildProcess#tell}) before it sends
   */
  List<ChildProcess> startPublishers(RunConfig config, boolean waitForGo) {
    List<ChildProcess> publishers = new ArrayList<>();
    for (int i = 1; i <= config.publishers(); i++) {
      String id = "p" + i;
      List<String> args =
          List.of(
              "--prefix", prefix,
              "--id", id,
              "--accounts", String.join(",", config.accounts()),
              "--count", String.valueOf(config.commandsPerPublisher()),
              "--seed", String.valueOf(config.seed()),
              "--rate", String.valueOf(config.publishRate()),
              "--duplicates", String.valueOf(config.duplicatePercent()),
              "--wait-for-go", String.valueOf(waitForGo),
              "--out", directory.resolve(id + ".jsonl").toString());
      ChildProcess publisher =
          ChildProcess.start(
              "publisher-" + id,
              List.of(
                  "-Xmx128m",
                  "-XX:+UseSerialGC",
                  "-XX:TieredStopAtLevel=1",
                  BROKER_CONNECTIONS_LOG,
                  CONNECTION_RECOVERY_LOG),
              Publisher.class.getName(),
              args,
              publisherEnvironment(),
              directory,
              line -> {
                if (!line.contains(" SENT ")) {
                  progress.println(line);
                }
              });
      publishers.add(publisher);
      all.add(publisher);
      table.add(publisher.name() + " pid " + publisher.pid());
    }
    return publishers;
  }

  private Map<String, String> publisherEnvironment() {
    Map<String, String> variables = new HashMap<>();
    PUBLISHER_VARIABLES.forEach(
        name -> {
          if (environment.containsKey(name)) {
            variables.put(name, environment.get(name));
          }
        });
    return variables;
  }

  /** Where a publisher wrote the commands it sent. */
  Path sentFile(ChildProcess publisher) {
    return directory.resolve(publisher.name().substring("publisher-".length()) + ".jsonl");
  }

  /** The workers started so far, killed ones included. */
  List<ChildProcess> workers() {
    return List.copyOf(workers);
  }

  /** Every process started so far, workers and publishers, ended ones included. */
  List<ChildProcess> all() {
    return List.copyOf(all);
  }

  /** Notes a process's role, for the report. */
  void annotate(ChildProcess process, String role) {
    table.replaceAll(
        line -> line.startsWith(process.name() + " ") ? line + " (" + role + ")" : line);
  }

  /** Notes how a process ended, for the report. */
  void ended(ChildProcess process, String how) {
    table.replaceAll(line -> line.startsWith(process.name() + " ") ? line + " — " + how : line);
  }

  void ended(ChildProcess process, int status) {
    ended(process, "exited " + status);
  }

  /** SIGTERM to every worker still running; notes each exit status. */
  void stopWorkers() {
    for (ChildProcess worker : workers) {
      if (worker.isAlive()) {
        ended(worker, "SIGTERM, exited " + worker.terminate(Duration.ofSeconds(30)));
      }
    }
  }

  /** One line per process: name, pid, options, how it ended. */
  List<String> table() {
    return List.copyOf(table);
  }

  /** Kills whatever still runs. */
  @Override
  public void close() {
    all.forEach(ChildProcess::close);
  }
}
