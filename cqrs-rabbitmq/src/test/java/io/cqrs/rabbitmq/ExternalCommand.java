package io.cqrs.rabbitmq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Runs an external program with a deadline, for {@link RabbitCluster}. Output goes to files, not
 * pipes: a node started by a command would hold a pipe open, and a pipe read cannot be given up
 * when the deadline passes.
 */
final class ExternalCommand {
  private static final int TAIL_LINES = 20;
  private static final int TAIL_CHARS = 3_000;
  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static final long POLL_MILLIS = 50;

  private ExternalCommand() {}

  /**
   * A process builder for {@code command} in {@code directory}, reading nothing, with the
   * environment {@code environment}: every inherited {@code RABBITMQ_*} and {@code ERL_*} variable
   * is removed, so that a developer's or CI's settings do not leak into the cluster.
   */
  static ProcessBuilder builder(
      List<String> command, Map<String, String> environment, Path directory) {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("RABBITMQ_") || k.startsWith("ERL_"));
    builder.environment().putAll(environment);
    return builder;
  }

  /**
   * Runs {@code command} (see {@link #builder}) and returns its standard output.
   *
   * @param scratch directory for the output files, deleted after the run
   * @param context what a failure message adds, e.g. the tail of the node's log
   * @throws IllegalStateException when it fails to start, exits with a status other than 0 or
   *     outlives {@code timeout} (it is then killed): the message names the command, its exit code
   *     and the tail of its output and of {@code context}
   */
  static String run(
      List<String> command,
      Map<String, String> environment,
      Path scratch,
      Duration timeout,
      Supplier<String> context) {
    return run(command, environment, scratch, timeout, () -> null, context);
  }

  /**
   * Like {@link #run(List, Map, Path, Duration, Supplier)}, and also killed and failed as soon as
   * {@code giveUp} returns a reason (checked every 50 ms), such as the node it waits for having
   * died.
   */
  static String run(
      List<String> command,
      Map<String, String> environment,
      Path scratch,
      Duration timeout,
      Supplier<String> giveUp,
      Supplier<String> context) {
    long id = SEQUENCE.incrementAndGet();
    Path out = scratch.resolve("command-" + id + ".out");
    Path err = scratch.resolve("command-" + id + ".err");
    ProcessBuilder builder =
        builder(command, environment, scratch)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    try {
      String failure = await(builder.start(), timeout, giveUp);
      String stdout = read(out);
      if (failure != null) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " "
                + failure
                + "\n--- its output:\n"
                + tail(stdout + read(err))
                + "\n"
                + context.get());
      }
      return stdout;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot run " + String.join(" ", command) + ": " + e, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /** Waits for {@code process}; returns {@code null} if it exits with 0, else what went wrong. */
  private static String await(Process process, Duration timeout, Supplier<String> giveUp) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!process.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        String reason = giveUp.get();
        if (reason != null) {
          destroy(process);
          return "was given up (killed): " + reason;
        }
        if (System.nanoTime() - deadline > 0) {
          destroy(process);
          return "timed out after " + timeout.toSeconds() + " s (killed)";
        }
      }
    } catch (InterruptedException e) {
      destroy(process);
      Thread.currentThread().interrupt();
      return "was interrupted (killed)";
    }
    return process.exitValue() == 0 ? null : "failed with exit code " + process.exitValue();
  }

  /** Kills the process and what it started (rabbitmqctl is a shell script running an Erlang VM). */
  private static void destroy(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of {@code text}, at most a few thousand characters. */
  static String tail(String text) {
    List<String> lines = text.strip().lines().toList();
    String tail =
        String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    return tail.length() <= TAIL_CHARS ? tail : "…" + tail.substring(tail.length() - TAIL_CHARS);
  }

  /** The last lines of a file, or a note saying there is none. */
  static String tail(Path file) {
    if (!Files.exists(file)) {
      return "(no " + file + ")";
    }
    return tail(read(file));
  }

  /**
   * The first lines of a file that hold {@code mark}: a node that cannot boot says why at the top
   * of its output, then dumps a crash report that fills the tail.
   */
  static String firstLines(Path file, String mark) {
    List<String> lines = read(file).lines().filter(line -> line.contains(mark)).limit(8).toList();
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n…\n";
  }

  private static String read(Path file) {
    try {
      // Leniently decoded: a log may hold anything.
      return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(unreadable " + file + ": " + e + ")";
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover output file goes with the run directory.
    }
  }
}
