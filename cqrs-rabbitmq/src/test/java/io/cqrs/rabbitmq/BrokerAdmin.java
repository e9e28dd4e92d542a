package io.cqrs.rabbitmq;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code rabbitmqctl} against the test broker, on this machine or inside the broker's
 * container, for what AMQP cannot do: force-closing connections and listing queues.
 */
abstract class BrokerAdmin {
  private static final Pattern CONNECTION_NAME =
      Pattern.compile("\\{\"connection_name\",\"([^\"]*)\"}");

  /** Runs {@code rabbitmqctl} with arguments and returns its standard output. */
  abstract String run(String... arguments);

  /** Why there is no admin tool, or {@code null} if there is one. */
  abstract String unavailableReason();

  /** {@code rabbitmqctl} on this machine's PATH, usable only for a broker on this machine. */
  static BrokerAdmin local(boolean brokerIsLocal) {
    File executable = onPath("rabbitmqctl");
    if (!brokerIsLocal || executable == null) {
      return none(
          brokerIsLocal
              ? "rabbitmqctl is not on the PATH"
              : "the broker is not on this machine, so rabbitmqctl cannot reach it");
    }
    return new Local(executable);
  }

  /** No admin tool, for this reason. */
  static BrokerAdmin none(String why) {
    return new BrokerAdmin() {
      @Override
      String run(String... arguments) {
        throw new IllegalStateException(why);
      }

      @Override
      String unavailableReason() {
        return why;
      }
    };
  }

  /** The non-empty output lines of a command. */
  List<String> lines(String... arguments) {
    return run(arguments).lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
  }

  /**
   * Force-closes, as an operator would, every connection whose client-provided name starts with
   * {@code namePrefix}; connections of other tests on the same broker are left alone.
   *
   * @return how many connections were closed
   */
  int closeConnections(String namePrefix, String reason) {
    List<String> pids = new ArrayList<>();
    for (String line :
        lines("list_connections", "-q", "--no-table-headers", "pid", "client_properties")) {
      // <rabbit@host.1.2.0>\t[{"connection_name","the name"},{"product","RabbitMQ"},...]
      Matcher name = CONNECTION_NAME.matcher(line);
      int tab = line.indexOf('\t');
      if (tab > 0 && name.find() && name.group(1).startsWith(namePrefix)) {
        pids.add(line.substring(0, tab));
      }
    }
    // Each rabbitmqctl run starts an Erlang VM; closing in parallel closes them all at once.
    pids.parallelStream().forEach(pid -> run("close_connection", pid, reason));
    return pids.size();
  }

  private static File onPath(String command) {
    List<String> directories =
        new ArrayList<>(
            Arrays.asList(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    directories.addAll(List.of("/usr/sbin", "/usr/lib/rabbitmq/bin", "/usr/local/sbin"));
    for (String directory : directories) {
      File candidate = new File(directory, command);
      if (candidate.canExecute()) {
        return candidate;
      }
    }
    return null;
  }

  private static final class Local extends BrokerAdmin {
    private final File executable;

    Local(File executable) {
      this.executable = executable;
    }

    @Override
    String run(String... arguments) {
      List<String> command = new ArrayList<>();
      command.add(executable.getPath());
      command.addAll(List.of(arguments));
      try {
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
          throw new IllegalStateException(
              "rabbitmqctl "
                  + arguments[0]
                  + " failed: "
                  + new String(err, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException("Cannot run rabbitmqctl", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while running rabbitmqctl", e);
      }
    }

    @Override
    String unavailableReason() {
      return null;
    }
  }
}
