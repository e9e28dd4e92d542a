package io.cqrs.example.bank;

import io.cqrs.example.bank.BankOptions.Mode;
import io.cqrs.example.bank.InfrastructureOptions.Bus;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The application's commands: each holds its options, checks them into {@link BankOptions} and
 * hands those to the {@link Runner}, whose status is the exit code.
 */
final class BankCommands {
  private BankCommands() {}

  /** Runs what a command asked for. */
  @FunctionalInterface
  interface Runner {
    /** Runs it and returns the exit status. */
    int run(BankOptions options);
  }

  /** What every command shares: the environment, the runner, the connection options. */
  abstract static class Base implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    private final Map<String, String> environment;
    private final Runner runner;

    Base(Map<String, String> environment, Runner runner) {
      this.environment = environment;
      this.runner = runner;
    }

    /** The checked options of this command; a bad setting is a usage error. */
    final BankOptions options() {
      check();
      try {
        return options(connection.infrastructure(environment));
      } catch (SettingException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
    }

    /** Checks what this command's options allow together, before the servers' settings. */
    void check() {}

    abstract BankOptions options(InfrastructureOptions infrastructure);

    /** A usage error of this command. */
    final ParameterException usage(String message) {
      return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public final Integer call() {
      return runner.run(options());
    }
  }

  @Command(
      name = "demo",
      description = {
        "Run the andrewwebber/cqrs bank scenario and print the read models, the write model"
            + " reloaded from history, the events of some correlation ids and whether the read"
            + " model is in sync. What the application does without a command."
      })
  static final class Demo extends Base {
    Demo(Map<String, String> environment, Runner runner) {
      super(environment, runner);
    }

    @Override
    BankOptions options(InfrastructureOptions infrastructure) {
      return BankOptions.of(Mode.DEMO, infrastructure, connection.verbose);
    }
  }

  @Command(
      name = "serve",
      description = {
        "Serve the HTTP JSON API (POST /accounts, POST /accounts/{id}/credit, POST"
            + " /accounts/{id}/debit, POST /transfers, GET /accounts/{id}, GET"
            + " /accounts/{id}/history, GET /transfers/{id}, GET /commands/{id}, GET /ready, GET"
            + " /metrics, ...). Several instances can share one Couchbase and RabbitMQ; each also"
            + " runs what a worker runs, the relay included. Callers sign in with HTTP Basic as"
            + " the users of BANK_API_USERS (name:hash[:admin],...) or BANK_API_USERS_FILE;"
            + " without either, an administrator with a random secret is made and printed."
      })
  static final class Serve extends Base {
    @Mixin HttpOptions http;

    @Mixin ListenerOptions listeners;

    Serve(Map<String, String> environment, Runner runner) {
      super(environment, runner);
    }

    @Override
    BankOptions options(InfrastructureOptions infrastructure) {
      if (!infrastructure.rabbitmqDeclareTopology()
          && infrastructure.bus() == Bus.RABBITMQ
          && infrastructure.store() == Store.MEMORY) {
        throw usage(
            "serve with --rabbitmq-declare-topology false needs --store couchbase: with read models"
                + " in its memory each serve process consumes events on a subscription of its own,"
                + " named at random, which no operator can declare beforehand");
      }
      return BankOptions.of(Mode.SERVE, infrastructure, connection.verbose)
          .withHttp(http)
          .withListeners(listeners.listeners);
    }
  }

  @Command(
      name = "worker",
      description = {
        "Handle commands, publish what the store holds unpublished (relay), run the transfer"
            + " process and the read models, without HTTP (needs --store couchbase --bus"
            + " rabbitmq). Prints 'READY <pid>' once consuming; stops cleanly on SIGTERM."
      })
  static final class Worker extends Base {
    @Mixin ListenerOptions listeners;

    @Option(
        names = "--metrics-port",
        converter = OptionConverters.Port.class,
        description =
            "Serve GET /health, /ready and /metrics (Prometheus) on this port, 0 for any free"
                + " one (default: none).")
    Integer metricsPort;

    @Option(
        names = "--host",
        description =
            "The address --metrics-port binds (default: " + HttpOptions.DEFAULT_HOST + ").")
    String host;

    Worker(Map<String, String> environment, Runner runner) {
      super(environment, runner);
    }

    @Override
    void check() {
      if (host != null && metricsPort == null) {
        throw usage("--host is for worker with --metrics-port");
      }
      if (connection.store == Store.MEMORY || connection.bus == Bus.MEMORY) {
        throw usage(
            "worker needs a store and buses shared with other processes:"
                + " --store couchbase --bus rabbitmq");
      }
    }

    @Override
    BankOptions options(InfrastructureOptions infrastructure) {
      HttpOptions metrics = new HttpOptions();
      metrics.host = host == null ? HttpOptions.DEFAULT_HOST : host;
      return BankOptions.of(Mode.WORKER, infrastructure, connection.verbose)
          .withHttp(metrics)
          .withListeners(listeners.listeners)
          .withMetricsPort(metricsPort);
    }
  }

  @Command(
      name = "rebuild",
      description = {
        "Blue/green rebuild: replay the integration log into a new generation of the read models"
            + " beside the serving one, compare them and, if equal, switch to it; serve and worker"
            + " processes started afterwards serve it (needs --store couchbase). Exits 1 if they"
            + " differ. Refuses (exit 2) a generation whose documents already exist: those of"
            + " another bank's prefix, or of an earlier rebuild."
      })
  static final class Rebuild extends Base {
    @Option(
        names = "--generation",
        converter = OptionConverters.Generation.class,
        description = {
          "The new generation's name; its views go under <prefix>-<generation> (default: the"
              + " time and a random part, gYYYYMMDD-HHMMSS-xxxx)."
        })
    String generation;

    Rebuild(Map<String, String> environment, Runner runner) {
      super(environment, runner);
    }

    @Override
    void check() {
      if (connection.store == Store.MEMORY) {
        throw usage("rebuild needs --store couchbase: an in-memory store starts empty");
      }
    }

    @Override
    BankOptions options(InfrastructureOptions infrastructure) {
      return BankOptions.of(Mode.REBUILD, infrastructure, connection.verbose)
          .withGeneration(generation);
    }
  }

  @Command(
      name = "declare-topology",
      description = {
        "Declare on RabbitMQ, as the user of --rabbitmq-uri (an operator's, allowed to configure),"
            + " every exchange, queue and binding the bank's buses use under the prefix, print"
            + " them and exit (needs --bus rabbitmq; touches nothing else). Run it before serve,"
            + " worker or demo with --rabbitmq-declare-topology false, with the same prefix and"
            + " queue type, and again after an upgrade that adds a command type."
      })
  static final class DeclareTopology extends Base {
    DeclareTopology(Map<String, String> environment, Runner runner) {
      super(environment, runner);
    }

    @Override
    void check() {
      if (connection.bus != Bus.RABBITMQ) {
        throw usage("declare-topology needs --bus rabbitmq");
      }
      if (Boolean.FALSE.equals(connection.rabbitmqDeclareTopology)) {
        throw usage(
            "declare-topology always declares: --rabbitmq-declare-topology false is for the"
                + " processes that run the bank");
      }
    }

    @Override
    BankOptions options(InfrastructureOptions infrastructure) {
      // The operator may share the deployment's variables, CQRS_RABBITMQ_DECLARE_TOPOLOGY=false
      // included: this command declares whatever they say.
      return BankOptions.of(
          Mode.DECLARE_TOPOLOGY,
          infrastructure.withRabbitmqDeclareTopology(true),
          connection.verbose);
    }
  }
}
