package io.cqrs.rabbitmq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Linux processes by pid, for {@link RabbitCluster}'s nodes, which need not be children of this
 * JVM: a node outlives the JVM that started it until a later one removes it. Reads {@code /proc}.
 */
final class OsProcesses {
  private static final Path PROC = Path.of("/proc");
  private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(10);

  private OsProcesses() {}

  /**
   * Whether the process exists and has not exited. A killed node stays a zombie until init reaps
   * it, which {@link ProcessHandle#isAlive()} may count as alive; this does not.
   */
  static boolean isAlive(long pid) {
    try {
      String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.UTF_8);
      // "pid (command) state ...": the command may hold spaces and parentheses.
      int close = stat.lastIndexOf(')');
      char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : 'Z';
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  /** The command-line arguments of a process, empty if it is gone. */
  static List<String> arguments(long pid) {
    try {
      byte[] bytes = Files.readAllBytes(PROC.resolve(pid + "/cmdline"));
      return List.of(new String(bytes, StandardCharsets.UTF_8).split("\0"));
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * Every live process that has {@code option} followed by {@code value} among its arguments: an
   * Erlang VM has {@code -home DIR}, which tells a cluster's nodes from any other.
   */
  static List<Long> withArguments(String option, String value) {
    List<Long> found = new ArrayList<>();
    argumentAfter(option)
        .forEach(
            (pid, argument) -> {
              if (argument.equals(value)) {
                found.add(pid);
              }
            });
    return found;
  }

  /**
   * Every live process that has {@code option} among its arguments, with the argument after it: the
   * {@code -home} of every Erlang VM, say.
   */
  static Map<Long, String> argumentAfter(String option) {
    Map<Long, String> found = new java.util.HashMap<>();
    try (Stream<Path> entries = Files.list(PROC)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = entry.getFileName().toString();
        if (name.chars().allMatch(Character::isDigit)) {
          long pid = Long.parseLong(name);
          List<String> args = arguments(pid);
          int at = args.indexOf(option);
          if (at >= 0 && at + 1 < args.size() && isAlive(pid)) {
            found.put(pid, args.get(at + 1));
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot list " + PROC, e);
    }
    return found;
  }

  /**
   * Sends a signal by name ({@code STOP}, {@code CONT}) with {@code kill}: the JDK sends only
   * SIGTERM and SIGKILL.
   */
  static void signal(long pid, String signal, Path scratch) {
    ExternalCommand.run(
        List.of("kill", "-s", signal, Long.toString(pid)),
        Map.of(),
        scratch,
        SIGNAL_TIMEOUT,
        () -> "");
  }

  /** SIGKILLs the processes and what they started. */
  static void kill(Collection<Long> pids) {
    for (long pid : pids) {
      ProcessHandle.of(pid)
          .ifPresent(
              process -> {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
              });
    }
  }

  /**
   * Waits until none of the processes is alive.
   *
   * @throws IllegalStateException naming those still alive at the deadline
   */
  static void awaitGone(Collection<Long> pids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pids.stream().anyMatch(OsProcesses::isAlive)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "Processes still alive after "
                + timeout.toSeconds()
                + " s: "
                + pids.stream().filter(OsProcesses::isAlive).toList());
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }
}
