package io.cqrs.example.bank;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * What one run of the application does, checked: the command and its settings, as the command line
 * ({@link BankCommandLine}) made them from the flags and the {@code CQRS_*} environment variables.
 *
 * @param mode what to run
 * @param infrastructure which store and buses
 * @param verbose whether to log at INFO instead of WARN
 * @param listeners {@code serve} and {@code worker}: how many commands and events of each
 *     subscription are handled at once
 * @param metricsPort {@code worker}: the port of its {@code GET /metrics} (0: any free port), or
 *     {@code null} for none; {@code serve} answers {@code /metrics} on its own port
 * @param generation {@code rebuild}: the new generation's name, or {@code null} for one made from
 *     the time
 * @param http where {@code serve} listens, and the address of {@code worker}'s {@code
 *     --metrics-port}
 */
record BankOptions(
    Mode mode,
    InfrastructureOptions infrastructure,
    boolean verbose,
    int listeners,
    Integer metricsPort,
    String generation,
    HttpOptions http) {

  /** What the application runs: one per command. */
  enum Mode {
    DEMO,
    SERVE,
    WORKER,
    REBUILD,
    DECLARE_TOPOLOGY
  }

  static final int DEFAULT_LISTENERS = 2;

  BankOptions {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(infrastructure, "infrastructure");
    Objects.requireNonNull(http, "http");
  }

  /** The defaults of {@code mode} on {@code infrastructure}. */
  static BankOptions of(Mode mode, InfrastructureOptions infrastructure, boolean verbose) {
    return new BankOptions(
        mode, infrastructure, verbose, DEFAULT_LISTENERS, null, null, new HttpOptions());
  }

  BankOptions withHttp(HttpOptions http) {
    return new BankOptions(mode, infrastructure, verbose, listeners, metricsPort, generation, http);
  }

  BankOptions withListeners(int listeners) {
    return new BankOptions(mode, infrastructure, verbose, listeners, metricsPort, generation, http);
  }

  BankOptions withMetricsPort(Integer metricsPort) {
    return new BankOptions(mode, infrastructure, verbose, listeners, metricsPort, generation, http);
  }

  BankOptions withGeneration(String generation) {
    return new BankOptions(mode, infrastructure, verbose, listeners, metricsPort, generation, http);
  }

  /**
   * Parses a command line without running it, as {@link BankApplication#run} would parse it.
   *
   * @param environment where {@code CQRS_*} settings are looked up when no flag gives them
   * @throws ParameterException naming what is wrong, as the command line reports it (exit 2)
   */
  static BankOptions parse(List<String> args, Map<String, String> environment) {
    CommandLine commandLine = BankCommandLine.create(environment, options -> 0);
    ParseResult result =
        commandLine.parseArgs(BankCommandLine.withDefaultCommand(args.toArray(String[]::new)));
    if (!result.hasSubcommand()) {
      throw new ParameterException(commandLine, "no command to parse");
    }
    return ((BankCommands.Base) result.subcommand().commandSpec().userObject()).options();
  }
}
