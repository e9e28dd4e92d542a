package io.cqrs.example.bank;

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
 * A child JVM on this JVM's java and classpath, with its standard output read line by line (so
 * {@code READY <pid>} can be awaited) and its error output in a file for failure messages.
 */
final class BankProcess implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Path errors;

  private BankProcess(Process process, Path errors) {
    this.process = process;
    this.errors = errors;
    Thread reader = new Thread(this::readOutput, "bank-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code mainClass} with {@code args} and the extra environment variables. */
  static BankProcess start(Class<?> mainClass, Map<String, String> environment, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    Path errors = Files.createTempFile("bank-process-", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
    builder.environment().putAll(environment);
    return new BankProcess(builder.start(), errors);
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

  /** Waits for the worker's {@code READY <pid>} line. */
  void awaitReady(Duration timeout) {
    String ready = "READY " + process.pid();
    Await.await("'" + ready + "' from the worker (" + describe() + ")")
        .atMost(timeout)
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new AssertionError("The worker exited early: " + describe());
              }
              return output().contains(ready);
            });
  }

  /** Every line the process printed so far. */
  List<String> output() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** Its exit status, once it exits within {@code timeout}. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("The process did not exit within " + timeout + ": " + describe());
    }
    return process.exitValue();
  }

  /** Sends SIGTERM. */
  void terminate() {
    process.destroy();
  }

  /** Sends SIGKILL: the process dies at once, without running any shutdown code. */
  void kill() {
    process.destroyForcibly();
  }

  /** Output and error output, for failure messages. */
  String describe() {
    String err;
    try {
      err = Files.readString(errors);
    } catch (IOException e) {
      err = "(unreadable: " + e + ")";
    }
    return "pid " + process.pid() + ", out " + output() + ", err " + err;
  }

  /**
   * Kills the process and waits (boundedly) until it is gone, so that a clean-up after the test
   * cannot race a dying process that still declares or consumes under the test's prefix.
   */
  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(errors);
  }
}
