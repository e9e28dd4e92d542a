package io.cqrs.rabbitmq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run directories of {@link RabbitCluster}, one per cluster under {@link #ROOT}: each holds an
 * {@value #OWNER} file naming the JVM that started it (pid and start time, so that a reused pid
 * does not pass for it), which lets a later run remove what a JVM that died left running.
 */
final class RabbitClusterRuns {
  static final Path ROOT = Path.of("/tmp/cqrs-rabbit-cluster");

  private static final String OWNER = "owner";
  private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final Duration GONE_TIMEOUT = Duration.ofSeconds(30);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Logger log = LoggerFactory.getLogger(RabbitCluster.class);

  private RabbitClusterRuns() {}

  /**
   * Creates a run directory named {@code cqrs<six random letters or digits>}, which is also the
   * prefix of its nodes' names, with its owner file, a shared {@code HOME} holding a new Erlang
   * cookie and the files every node reads.
   */
  static Path create() throws IOException {
    Files.createDirectories(ROOT);
    while (true) {
      Path run = ROOT.resolve("cqrs" + random(LETTERS, 6));
      try {
        Files.createDirectory(run);
      } catch (FileAlreadyExistsException taken) {
        continue;
      }
      Files.writeString(run.resolve(OWNER), ownerLine(ProcessHandle.current()));
      Path home = Files.createDirectories(run.resolve("home"));
      Path cookie = home.resolve(".erlang.cookie");
      Files.writeString(
          cookie, random("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 20), StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
      Files.writeString(run.resolve("enabled_plugins"), "[rabbitmq_consistent_hash_exchange].\n");
      Files.writeString(run.resolve("rabbitmq-env.conf"), "");
      return run;
    }
  }

  /**
   * Kills the nodes of every run whose owning JVM is gone and deletes the run. Runs of live JVMs,
   * this one's and concurrent builds', and directories without an owner file, are left alone. Kills
   * too every node of a run whose directory is gone ({@link #killOrphans}).
   */
  static void removeStale() {
    killOrphans();
    if (!Files.isDirectory(ROOT)) {
      return;
    }
    try (Stream<Path> runs = Files.list(ROOT)) {
      for (Path run : runs.toList()) {
        String owner = readOwner(run);
        if (owner != null && !ownerLives(owner)) {
          log.info("Removing {}, left by JVM {} which is gone", run, owner.strip());
          destroy(run);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("Could not remove stale RabbitMQ cluster runs in {}", ROOT, e);
    }
  }

  /**
   * Kills the nodes whose run directory no longer exists: a JVM killed while its shutdown hook
   * deleted the run, or a node that started booting after the hook had looked for the run's
   * processes. Such a node has no owner file left to be found by, and holds its ports for ever: a
   * later run picking one of them for a listener of its own (a TLS port, say) may be answered by
   * this node instead. A live run always has its directory, made before any of its nodes starts.
   */
  static void killOrphans() {
    try {
      List<Long> orphans = new java.util.ArrayList<>();
      OsProcesses.argumentAfter("-home")
          .forEach(
              (pid, home) -> {
                Path path = Path.of(home);
                if (ownedByThisUser(pid)
                    && path.startsWith(ROOT)
                    && path.getNameCount() == ROOT.getNameCount() + 2
                    && !Files.isDirectory(path.getParent())) {
                  orphans.add(pid);
                }
              });
      if (!orphans.isEmpty()) {
        log.info("Killing RabbitMQ nodes {} whose runs in {} are gone", orphans, ROOT);
        OsProcesses.kill(orphans);
        OsProcesses.awaitGone(orphans, GONE_TIMEOUT);
      }
    } catch (RuntimeException e) {
      log.warn("Could not kill orphaned RabbitMQ cluster nodes", e);
    }
  }

  /** Whether this user runs the process: another user's node is not ours to kill, nor can be. */
  private static boolean ownedByThisUser(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(process -> process.info().user())
        .map(user -> user.equals(System.getProperty("user.name")))
        .orElse(false);
  }

  /**
   * Kills every node of the run, found by the {@code -home} argument of its Erlang VM (a node that
   * has not written its pid file yet has one too), waits until they are gone and deletes the run.
   */
  static void destroy(Path run) {
    List<Long> pids = OsProcesses.withArguments("-home", run.resolve("home").toString());
    OsProcesses.kill(pids);
    OsProcesses.awaitGone(pids, GONE_TIMEOUT);
    try (Stream<Path> files = Files.walk(run)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Could not delete " + run, e);
    }
  }

  private static String readOwner(Path run) {
    try {
      return Files.readString(run.resolve(OWNER));
    } catch (IOException e) {
      return null;
    }
  }

  /** Whether the JVM named by an owner file lives; an unreadable line counts as alive. */
  private static boolean ownerLives(String owner) {
    Optional<ProcessHandle> process;
    try {
      process = ProcessHandle.of(Long.parseLong(owner.strip().split(" ")[0]));
    } catch (NumberFormatException halfWritten) {
      return true;
    }
    return process.isPresent()
        && OsProcesses.isAlive(process.get().pid())
        && ownerLine(process.get()).equals(owner);
  }

  /** "pid start-millis", the start time as {@link ProcessHandle} sees it ("?" if it cannot). */
  private static String ownerLine(ProcessHandle process) {
    return process.pid()
        + " "
        + process.info().startInstant().map(Instant::toEpochMilli).map(String::valueOf).orElse("?");
  }

  private static String random(String alphabet, int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return text.toString();
  }
}
