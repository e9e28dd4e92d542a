package io.cqrs.example.bank;

import io.cqrs.NonTransientCqrsException;
import io.cqrs.example.bank.BankOptions.Mode;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import io.cqrs.example.bank.http.ApiUsers;
import io.cqrs.example.bank.http.BankHttpServer;
import io.cqrs.rabbitmq.QueueType;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * The example bank's application: {@code java -jar example-bank.jar
 * [demo|serve|worker|rebuild|declare-topology] [OPTIONS]}; {@code --help} lists everything ({@link
 * BankCommandLine} parses and checks the command line). Without a command it runs the {@link
 * Scenario} in memory, which is the quickest way to see the framework work.
 *
 * <p>Every command that writes events ({@code demo}, {@code serve}, {@code worker}) starts the
 * whole {@link io.cqrs.Cqrs}, relay included: a process that dies between a commit and its publish
 * leaves the events to whichever of them runs next, whatever the deployment's mix of commands.
 */
public final class BankApplication {
  private static final int OK = BankCommandLine.OK;
  private static final int FAILED = BankCommandLine.FAILED;
  private static final int USAGE = BankCommandLine.USAGE;
  private static final java.time.Duration REBUILD_TIMEOUT = java.time.Duration.ofMinutes(30);

  private BankApplication() {}

  /** Runs the application and exits with its status. */
  public static void main(String[] args) {
    // Exit explicitly: a server's threads would otherwise keep the JVM alive.
    System.exit(run(args, System.getenv(), System.out, System.err, new CountDownLatch(1)));
  }

  /**
   * Runs the application.
   *
   * @param environment where the {@code CQRS_*} settings and the OpenTelemetry variables are read;
   *     nothing is read from {@link System#getenv()} here
   * @param stop released to stop {@code serve} and {@code worker}; a JVM shutdown (Ctrl-C, SIGTERM)
   *     releases it too
   * @return the exit status: 0 success, 1 failure, 2 bad usage, 70 ({@link BusWatch#BUS_STOPPED})
   *     when {@code serve} or {@code worker} stopped because a bus lost its consumers for good
   */
  static int run(
      String[] args,
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      CountDownLatch stop) {
    return BankCommandLine.execute(
        args, environment, out, err, options -> run(options, environment, out, err, stop));
  }

  private static int run(
      BankOptions options,
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      CountDownLatch stop) {
    if (options.verbose()) {
      // Read by logback.xml when the first logger is made, which has not happened yet.
      System.setProperty("bank.log.level", "INFO");
    }
    if (options.mode() == Mode.DECLARE_TOPOLOGY) {
      return declareTopology(options, out, err);
    }
    // The API's users are a setting like the others: checked before anything connects (a bad one
    // was found only after the exchanges were declared, and failed with a stack trace).
    ApiUsers users = null;
    if (options.mode() == Mode.SERVE) {
      try {
        users = ApiUsers.fromEnvironment(environment).orElse(null);
      } catch (IllegalArgumentException e) {
        err.println("example-bank: " + e.getMessage());
        err.println("Run 'example-bank serve --help' for usage.");
        return USAGE;
      }
    }
    // Closed in reverse order: the bank's subscriptions, the infrastructure, the telemetry (which
    // exports the last spans), then the signal.
    try (ShutdownSignal shutdown = new ShutdownSignal(stop);
        BankTelemetry telemetry = BankTelemetry.create(environment);
        BankInfrastructure infrastructure = BankInfrastructure.create(options.infrastructure());
        Bank bank = bank(options, infrastructure, telemetry)) {
      int status =
          switch (options.mode()) {
            case DEMO -> demo(bank, out);
            case SERVE -> serve(bank, options, users, telemetry, out, err, shutdown);
            case WORKER -> worker(bank, options, telemetry, out, err, shutdown);
            case REBUILD -> rebuild(bank, options, out, err);
            case DECLARE_TOPOLOGY -> throw new IllegalStateException("runs without a bank");
          };
      shutdown.exitStatus(status);
      return status;
    } catch (Exception e) {
      err.println("example-bank: failed: " + e);
      e.printStackTrace(err);
      InfrastructureOptions infrastructure = options.infrastructure();
      if (e instanceof NonTransientCqrsException && !infrastructure.rabbitmqDeclareTopology()) {
        // Most likely a missing exchange or queue: say who declares it, and how.
        err.println(
            "example-bank: with --rabbitmq-declare-topology false an operator declares the topology"
                + " first: example-bank declare-topology --bus rabbitmq --prefix "
                + infrastructure.prefix()
                + (infrastructure.rabbitmqQueueType() == QueueType.QUORUM
                    ? " --rabbitmq-queue-type quorum"
                    : ""));
      }
      return FAILED;
    }
  }

  /**
   * The bank this run needs. {@code serve} and {@code worker} run the number of listeners asked
   * for; with views in a shared store their journals compete on one subscription (as their read
   * models' processors share segments), while a process with views in its own memory sees every
   * event, so its journal gets a subscription of its own.
   */
  private static Bank bank(
      BankOptions options, BankInfrastructure infrastructure, BankTelemetry telemetry) {
    Bank.Builder bank = Bank.builder(infrastructure).interceptors(telemetry.interceptors());
    if (options.mode() == Mode.WORKER) {
      // Workers are scaled out and compete for commands: each one's cache entries are often stale,
      // and a deferred check then costs a lost race where a probe costs one read
      // (docs/scaleout.md).
      bank.deferCacheChecks(false);
    }
    if (options.mode() == Mode.SERVE || options.mode() == Mode.WORKER) {
      bank.listeners(options.listeners())
          .journal(
              infrastructure.isSharedReadModels()
                  ? Bank.JOURNAL
                  : Bank.JOURNAL + "-" + UUID.randomUUID().toString().substring(0, 8));
    }
    Bank built = bank.build();
    try {
      telemetry.bind(built);
    } catch (RuntimeException e) {
      built.close();
      throw e;
    }
    return built;
  }

  private static int demo(Bank bank, PrintStream out) throws Exception {
    bank.start();
    return new Scenario(bank, out).run().inSync() ? OK : FAILED;
  }

  /**
   * @param users the API's users from the environment, or {@code null} for a generated
   *     administrator
   */
  private static int serve(
      Bank bank,
      BankOptions options,
      ApiUsers users,
      BankTelemetry telemetry,
      PrintStream out,
      PrintStream err,
      ShutdownSignal shutdown)
      throws Exception {
    if (users == null) {
      ApiUsers.Generated generated = ApiUsers.generate();
      out.println(
          "No API users configured ("
              + ApiUsers.USERS_VARIABLE
              + "): for this run, user '"
              + generated.name()
              + "' has the secret "
              + generated.secret());
      out.println("To keep it, set " + ApiUsers.USERS_VARIABLE + "='" + generated.entry() + "'");
      users = generated.users();
    }
    start(bank, options, err);
    BankHttpServer.Settings settings =
        BankHttpServer.Settings.of(options.http().host(), options.http().port(), users)
            .withLimits(
                new BankHttpServer.Limits(
                    BankHttpServer.Limits.DEFAULT.idleTimeout(),
                    BankHttpServer.Limits.DEFAULT.headerTimeout(),
                    BankHttpServer.Limits.DEFAULT.bodyTimeout(),
                    options.http().maxConnections()))
            .withMetrics(telemetry::scrape)
            .withCommandsOverBus(
                options.infrastructure().bus() == InfrastructureOptions.Bus.RABBITMQ);
    try (BankHttpServer server = BankHttpServer.start(bank, settings)) {
      out.println(
          "Bank API listening on " + server.uri() + " (" + bank.infrastructure().describe() + ")");
      out.flush();
      return BusWatch.await(shutdown, bank::health, BusWatch.INTERVAL, err);
    }
  }

  /**
   * The worker's contract (the scale-out tests rely on it): consume, then print exactly one line
   * {@code READY <pid>}; on SIGTERM close everything, letting in-flight handlers finish, and exit
   * 0. If a bus loses its consumers for good (a handler's fatal error, a consumer the broker
   * cancelled), say so on standard error, close everything and exit 70, so that a supervisor
   * restarts the worker: never a live worker that consumes nothing.
   */
  private static int worker(
      Bank bank,
      BankOptions options,
      BankTelemetry telemetry,
      PrintStream out,
      PrintStream err,
      ShutdownSignal shutdown)
      throws Exception {
    // --metrics-port: the operator's endpoints, /health, /ready (503 until it consumes) and
    // /metrics.
    try (BankHttpServer operations =
        options.metricsPort() == null
            ? null
            : BankHttpServer.startOperations(
                bank, options.http().host(), options.metricsPort(), telemetry::scrape)) {
      start(bank, options, err);
      out.println("READY " + ProcessHandle.current().pid());
      out.flush();
      return BusWatch.await(shutdown, bank::health, BusWatch.INTERVAL, err);
    }
  }

  /**
   * Starts the bank, relay included. Only a store that keeps no publication marks runs none; with
   * events kept beyond this process that is worth a warning.
   */
  private static void start(Bank bank, BankOptions options, PrintStream err) {
    bank.start();
    if (bank.cqrs().relay().isEmpty() && options.infrastructure().store() != Store.MEMORY) {
      err.println(
          "example-bank: warning: the store does not keep publication marks (RelayStore), so no"
              + " relay runs: events of a process that dies between commit and publish stay"
              + " unpublished");
    }
  }

  /**
   * The operator's step before processes with {@code --rabbitmq-declare-topology false} start:
   * declares what the bank's buses use, with the credentials given, and prints it. Opens neither
   * the store nor the bank's own buses.
   */
  private static int declareTopology(BankOptions options, PrintStream out, PrintStream err) {
    try {
      InfrastructureOptions infrastructure = options.infrastructure();
      List<String> declared =
          BankInfrastructure.declareTopology(infrastructure, BankTopology.required());
      out.println("Declared the bank's RabbitMQ topology (" + infrastructure.describe() + "):");
      declared.forEach(line -> out.println("  " + line));
      return OK;
    } catch (RuntimeException e) {
      err.println("example-bank: failed: " + e);
      e.printStackTrace(err);
      return FAILED;
    }
  }

  /**
   * A blue/green rebuild ({@link BlueGreenRebuild}): a new generation of the read models replayed
   * beside the serving one, compared, and switched to if equal; exits 1 if they differ, 2 if the
   * generation's documents exist already (another bank's, or an earlier rebuild's).
   */
  private static int rebuild(Bank bank, BankOptions options, PrintStream out, PrintStream err)
      throws Exception {
    out.println("(" + bank.infrastructure().describe() + ")");
    BlueGreenRebuild rebuild = new BlueGreenRebuild(bank, out, REBUILD_TIMEOUT);
    try {
      BlueGreenRebuild.Result result =
          options.generation() == null ? rebuild.run() : rebuild.run(options.generation());
      return result.differences().isEmpty() ? OK : FAILED;
    } catch (BlueGreenRebuild.TargetInUseException e) {
      err.println("example-bank: " + e.getMessage());
      err.println("Run 'example-bank rebuild --help' for usage.");
      return USAGE;
    }
  }
}
