package io.cqrs.example.bank;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command line, on picocli: {@code example-bank [demo|serve|worker|rebuild|declare-topology]
 * [OPTIONS]}, {@code --help} on the top level and on each command, {@code --version}. Without a
 * command (or with options only) it runs {@code demo}, so {@code java -jar example-bank.jar} shows
 * the framework at work. A wrong command line prints what is wrong and exits {@value #USAGE}.
 */
@Command(
    name = "example-bank",
    mixinStandardHelpOptions = true,
    versionProvider = BankCommandLine.Version.class,
    description = {
      "The cqrs example bank: accounts and money transfers, event-sourced.",
      "Without a command it runs demo, with the options given."
    },
    footer = {
      "",
      "Traces are exported when the standard OpenTelemetry variables ask for it, e.g."
          + " OTEL_TRACES_EXPORTER=otlp with OTEL_EXPORTER_OTLP_ENDPOINT, or =logging to log spans"
          + " (default: off). Run 'example-bank COMMAND --help' for a command's options."
    })
final class BankCommandLine {
  /** Exit status: the command did what it was asked. */
  static final int OK = 0;

  /** Exit status: it failed, or {@code demo} or {@code rebuild} found the read models differ. */
  static final int FAILED = 1;

  /** Exit status: the command line was wrong. */
  static final int USAGE = 2;

  /** The commands, in the order help lists them; the first runs when none is given. */
  static final List<String> COMMANDS =
      List.of("demo", "serve", "worker", "rebuild", "declare-topology");

  private static final Set<String> TOP_LEVEL_OPTIONS = Set.of("-h", "--help", "-V", "--version");

  private BankCommandLine() {}

  /** The exit codes every command's help lists. */
  static Map<String, String> exitCodes() {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put("" + OK, "Success.");
    codes.put(
        "" + FAILED,
        "Failure: an error, a server that cannot be reached, or read models that differ (demo,"
            + " rebuild).");
    codes.put("" + USAGE, "Bad usage: a wrong command, option or setting.");
    codes.put(
        "" + BusWatch.BUS_STOPPED,
        "serve or worker stopped because a bus lost its consumers for good: restart it.");
    return codes;
  }

  /**
   * The command line, its commands running {@code runner}; help, version and errors are printed by
   * {@link #execute}.
   */
  static CommandLine create(Map<String, String> environment, BankCommands.Runner runner) {
    CommandLine commandLine =
        new CommandLine(new BankCommandLine())
            .addSubcommand(new BankCommands.Demo(environment, runner))
            .addSubcommand(new BankCommands.Serve(environment, runner))
            .addSubcommand(new BankCommands.Worker(environment, runner))
            .addSubcommand(new BankCommands.Rebuild(environment, runner))
            .addSubcommand(new BankCommands.DeclareTopology(environment, runner));
    List<CommandLine> all = new ArrayList<>(List.of(commandLine));
    all.addAll(commandLine.getSubcommands().values());
    for (CommandLine command : all) {
      command
          .getCommandSpec()
          .usageMessage()
          .exitCodeListHeading("%nExit codes:%n")
          .exitCodeList(exitCodes())
          .width(100);
      command.getCommandSpec().mixinStandardHelpOptions(true).versionProvider(new Version());
    }
    // Help and errors are for people, and this stream need not be a terminal.
    commandLine.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    return commandLine;
  }

  /**
   * Parses {@code args} and runs the command they name.
   *
   * @return the exit status: the command's, or {@value #OK} after help or the version, or {@value
   *     #USAGE} after a usage error
   */
  static int execute(
      String[] args,
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      BankCommands.Runner runner) {
    CommandLine commandLine = create(environment, runner);
    commandLine.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    commandLine.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    commandLine.setParameterExceptionHandler(
        (ParameterException e, String[] ignored) -> {
          PrintWriter writer = e.getCommandLine().getErr();
          writer.println("example-bank: " + e.getMessage());
          if (e instanceof UnmatchedArgumentException unmatched) {
            UnmatchedArgumentException.printSuggestions(unmatched, writer);
          }
          writer.println(
              "Run '"
                  + e.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for usage.");
          writer.flush();
          return USAGE;
        });
    String[] line = withDefaultCommand(args);
    if (line.length > 0 && !line[0].startsWith("-") && !COMMANDS.contains(line[0])) {
      err.println(
          "example-bank: Unknown command '"
              + line[0]
              + "'; the commands are "
              + String.join(", ", COMMANDS));
      err.println("Run 'example-bank --help' for usage.");
      return USAGE;
    }
    return commandLine.execute(line);
  }

  /**
   * {@code args}, with {@code demo} in front when they name no command: none at all, or options
   * only (other than the top level's {@code --help} and {@code --version}).
   */
  static String[] withDefaultCommand(String[] args) {
    if (args.length > 0 && (!args[0].startsWith("-") || TOP_LEVEL_OPTIONS.contains(args[0]))) {
      return args;
    }
    String[] line = new String[args.length + 1];
    line[0] = COMMANDS.get(0);
    System.arraycopy(args, 0, line, 1, args.length);
    return line;
  }

  /** The version the build wrote into {@code example-bank.properties}. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = BankCommandLine.class.getResourceAsStream("/example-bank.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {
        "example-bank " + properties.getProperty("version", "(unknown version)"),
        "Java " + System.getProperty("java.version") + ", " + System.getProperty("java.vm.name")
      };
    }
  }
}
