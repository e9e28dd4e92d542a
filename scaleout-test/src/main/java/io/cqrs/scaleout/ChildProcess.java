package io.cqrs.scaleout;

import io.cqrs.example.bank.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A JVM child process of the harness: the same {@code java} and class path as this JVM, its output
 * (standard output and error together) copied line by line to a file and watched for marker lines
 * such as {@code READY}.
 *
 * <p>{@link #kill()} is {@code Process.destroyForcibly()}, which is SIGKILL on Linux: the child
 * gets no chance to clean up, as in a crash. {@link #terminate(Duration)} is SIGTERM, a normal
 * shutdown.
 */
public final class ChildProcess implements AutoCloseable {
  /** How often a condition that asks the servers or a child process is checked while awaited. */
  private static final Duration POLL = Duration.ofMillis(100);

  private final String name;
  private final Process process;
  private final Path log;
  private final List<String> markers = new CopyOnWriteArrayList<>();
  private final Thread pump;

  private ChildProcess(String name, Process process, Path log, Consumer<String> echo) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.pump = new Thread(() -> copyOutput(echo), "output-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code mainClass} in a new JVM.
   *
   * @param name a short name for logs and the output file ({@code <logDirectory>/<name>.log})
   * @param environment variables added to this process's environment
   * @param echo receives every output line that is a marker (upper-case word first), for progress
   */
  public static ChildProcess start(
      String name,
      List<String> jvmOptions,
      String mainClass,
      List<String> arguments,
      Map<String, String> environment,
      Path logDirectory,
      Consumer<String> echo) {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(arguments);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    try {
      Files.createDirectories(logDirectory);
      return new ChildProcess(
          name, builder.start(), logDirectory.resolve(name + ".log"), Objects.requireNonNull(echo));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start " + name + " (" + mainClass + ")", e);
    }
  }

  private static String javaExecutable() {
    Optional<String> current = ProcessHandle.current().info().command();
    return current.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private void copyOutput(Consumer<String> echo) {
    try (BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        out.println(line);
        out.flush();
        if (line.matches("^[A-Z]+( .*)?$")) {
          markers.add(line);
          echo.accept(name + ": " + line);
        }
      }
    } catch (IOException e) {
      // The child was killed mid-line; what was read is in the file.
    }
  }

  /** The short name given at start. */
  public String name() {
    return name;
  }

  /** The operating-system process id. */
  public long pid() {
    return process.pid();
  }

  /** The file the output goes to. */
  public Path log() {
    return log;
  }

  /** Whether the process is running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits until the process prints a line starting with {@code marker}, and returns it.
   *
   * @throws IllegalStateException naming the log file if it exits first or the timeout passes
   */
  public String awaitMarker(String marker, Duration timeout) {
    try {
      return Await.await(name + " to print '" + marker + "'")
          .atMost(timeout)
          .pollInterval(POLL)
          .until(() -> marker(marker), Optional::isPresent)
          .orElseThrow();
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          name + " did not print '" + marker + "' within " + timeout + "; see " + log);
    }
  }

  /**
   * The first marker line starting with {@code marker}, if printed yet.
   *
   * @throws IllegalStateException if the process exited without printing it
   */
  private Optional<String> marker(String marker) {
    for (String line : markers) {
      if (line.startsWith(marker)) {
        return Optional.of(line);
      }
    }
    if (!process.isAlive() && !pump.isAlive()) {
      throw new IllegalStateException(
          name + " exited with " + process.exitValue() + " before '" + marker + "'; see " + log);
    }
    return Optional.empty();
  }

  /** Every marker line printed so far. */
  public List<String> markers() {
    return List.copyOf(markers);
  }

  /**
   * Waits for the process to exit by itself.
   *
   * @return its exit status
   * @throws IllegalStateException if it is still running after {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " still runs after " + timeout + "; see " + log);
      }
      pump.join(TimeUnit.SECONDS.toMillis(5));
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for " + name, e);
    }
  }

  /** SIGKILL: the process dies at once, as in a crash. Waits until it is gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /**
   * SIGTERM, then waits up to {@code timeout} for a clean exit (SIGKILL after that).
   *
   * @return the exit status
   */
  public int terminate(Duration timeout) {
    process.destroy();
    try {
      return awaitExit(timeout);
    } catch (IllegalStateException e) {
      kill();
      return process.exitValue();
    }
  }

  /**
   * Writes {@code line} to the process's standard input, for a process that waits for a word from
   * the harness (a publisher started with {@code --wait-for-go}).
   *
   * @throws UncheckedIOException if the process no longer reads it
   */
  public void tell(String line) {
    try {
      var in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(name + " did not take '" + line + "'; see " + log, e);
    }
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
