package io.cqrs.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM on this JVM's java and class path, for tests that kill a process (SIGKILL) at a
 * chosen point: its standard output is read line by line so a test can wait for a line the child
 * prints when it gets there, and its error output goes to a file for failure messages.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(MyWorker.class, Map.of(), "arg")) {
 *   child.awaitLine("PARKED", Duration.ofSeconds(60));
 *   child.kill();
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Path errors;

  private ChildJvm(Process process, Path errors) {
    this.process = process;
    this.errors = errors;
    Thread reader = new Thread(this::readOutput, "child-jvm-" + process.pid() + "-output");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code mainClass}'s {@code main} with {@code args} and the extra environment variables,
   * in a JVM with a 256 MB heap.
   *
   * @throws IOException if the JVM cannot be started
   */
  public static ChildJvm start(Class<?> mainClass, Map<String, String> environment, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    Path errors = Files.createTempFile("child-jvm-", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
    builder.environment().putAll(environment);
    return new ChildJvm(builder.start(), errors);
  }

  private void readOutput() {
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        synchronized (lines) {
          lines.add(line);
        }
      }
    } catch (IOException e) {
      // The process is gone; what it printed is in lines.
    }
  }

  /** The child's process id. */
  public long pid() {
    return process.pid();
  }

  /**
   * Waits until the child has printed {@code line}.
   *
   * @throws AssertionError if the child exits first or {@code timeout} passes, with its output
   */
  public void awaitLine(String line, Duration timeout) {
    Await.until(
        timeout,
        () -> "'" + line + "' from the child (" + describe() + ")",
        () -> {
          if (output().contains(line)) {
            return true;
          }
          if (!process.isAlive()) {
            throw new AssertionError("The child exited before '" + line + "': " + describe());
          }
          return false;
        });
  }

  /** Every line the child printed so far. */
  public List<String> output() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** Whether the child still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Sends SIGKILL and waits until the child is gone: it dies at once, running no shutdown code, as
   * in a crash.
   */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Output and error output, for failure messages. */
  public String describe() {
    String err;
    try {
      err = Files.readString(errors);
    } catch (IOException e) {
      err = "(unreadable: " + e + ")";
    }
    return "pid " + process.pid() + ", out " + output() + ", err " + err;
  }

  /** Kills the child if it still runs and deletes its error file. */
  @Override
  public void close() throws IOException {
    kill();
    Files.deleteIfExists(errors);
  }
}
