package io.cqrs.example.bank;

import io.cqrs.example.bank.BankOptions.Mode;
import io.cqrs.example.bank.BankOptions.UsageException;
import io.cqrs.example.bank.http.BankHttpServer;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * The example bank's command line: {@code java -jar example-bank.jar [serve|worker|rebuild]
 * [options]}; {@code --help} lists everything. Without a command it runs the {@link Scenario} in
 * memory, which is the quickest way to see the framework work.
 */
public final class BankApplication {
  private static final int OK = 0;
  private static final int FAILED = 1;
  private static final int USAGE = 2;

  private BankApplication() {}

  /** Runs the application and exits with its status. */
  public static void main(String[] args) {
    // Exit explicitly: a server's threads would otherwise keep the JVM alive.
    System.exit(run(args, System.getenv(), System.out, System.err, new CountDownLatch(1)));
  }

  /**
   * Runs the application.
   *
   * @param stop released to stop {@code serve} and {@code worker}; a JVM shutdown (Ctrl-C, SIGTERM)
   *     releases it too
   * @return the exit status: 0 success, 1 failure, 2 bad usage
   */
  static int run(
      String[] args,
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      CountDownLatch stop) {
    BankOptions options;
    try {
      options = BankOptions.parse(Arrays.asList(args), environment);
    } catch (UsageException e) {
      err.println("example-bank: " + e.getMessage());
      err.println("Run with --help for usage.");
      return USAGE;
    }
    if (options.mode() == Mode.HELP) {
      out.println(BankOptions.USAGE);
      return OK;
    }
    if (options.verbose()) {
      // Read by slf4j-simple when the first logger is made, which has not happened yet.
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    }
    BankInfrastructure infrastructure;
    try {
      infrastructure = BankInfrastructure.create(options.infrastructure());
    } catch (UnsupportedOperationException e) {
      err.println("example-bank: " + e.getMessage());
      return USAGE;
    }
    // Closed in reverse order: the bank's subscriptions, the infrastructure, then the signal.
    try (ShutdownSignal shutdown = new ShutdownSignal(stop);
        infrastructure;
        Bank bank = Bank.create(infrastructure)) {
      return switch (options.mode()) {
        case SCENARIO -> scenario(bank, out);
        case SERVE -> serve(bank, options, out, shutdown);
        case WORKER -> worker(bank, out, shutdown);
        case REBUILD -> rebuild(bank, out);
        case HELP -> throw new IllegalStateException("handled above");
      };
    } catch (Exception e) {
      err.println("example-bank: failed: " + e);
      e.printStackTrace(err);
      return FAILED;
    }
  }

  private static int scenario(Bank bank, PrintStream out) throws Exception {
    bank.start();
    return new Scenario(bank, out).run().inSync() ? OK : FAILED;
  }

  private static int serve(Bank bank, BankOptions options, PrintStream out, ShutdownSignal shutdown)
      throws Exception {
    startInstance(bank);
    try (BankHttpServer server = BankHttpServer.start(bank, options.host(), options.port())) {
      out.println(
          "Bank API listening on " + server.uri() + " (" + bank.infrastructure().describe() + ")");
      out.flush();
      shutdown.await();
    }
    return OK;
  }

  private static int worker(Bank bank, PrintStream out, ShutdownSignal shutdown) throws Exception {
    startInstance(bank);
    out.println("Bank worker running (" + bank.infrastructure().describe() + ")");
    out.flush();
    shutdown.await();
    return OK;
  }

  /** Starts every part, with read models of this instance's own, caught up with history. */
  private static void startInstance(Bank bank) throws Exception {
    String instance = UUID.randomUUID().toString().substring(0, 8);
    bank.startCommandHandlers(2)
        .startTransferProcess(2)
        .startReadModels(Bank.READ_MODELS + "-" + instance)
        .startRelay();
  }

  private static int rebuild(Bank bank, PrintStream out) throws Exception {
    long events = bank.catchUpReadModels();
    out.println(
        "Rebuilt the read models from "
            + events
            + " events of the integration log ("
            + bank.infrastructure().describe()
            + ")");
    new ScenarioReport(bank, out).readModels();
    return OK;
  }
}
