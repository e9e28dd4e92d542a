package io.cqrs.couchbase.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.ByteBuddy;

/**
 * CouchbaseMock ({@code com.couchbase.mock:CouchbaseMock}) running as its own process, with one
 * Couchbase bucket, one node, no replicas, CCCP on, TCP_NODELAY on its KV connections and its
 * sub-document parses memoised (it runs {@link CouchbaseMockMain}, which applies {@link
 * TcpNoDelayPatch} and {@link SubdocParsePatch}). Several client JVMs can share it.
 *
 * <p>{@link #start} fails when the process exits before it is up (its output, with the patch's
 * exception if a patch did not fit, is in the message) and when the process did not report both
 * patches.
 *
 * <p>The mock is started with {@code --harakiri-monitor}: it connects back to a socket this object
 * holds, reports its REST port there, and takes control commands on it ({@link #command}). Closing
 * that socket, or this JVM dying, makes the mock exit, so no mock outlives its tests.
 */
public final class CouchbaseMockProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int STARTUP_SECONDS = 60;

  /** The lines {@link CouchbaseMockMain} prints once each patch took. */
  private static final List<String> PATCHES =
      List.of(TcpNoDelayPatch.APPLIED, SubdocParsePatch.APPLIED, ItemSizePatch.APPLIED);

  private final Process process;
  private final Socket control;
  private final BufferedReader replies;
  private final String bucket;
  private final String password;
  private final int httpPort;
  private final int kvPort;
  private final Path logFile;

  private CouchbaseMockProcess(
      Process process, Socket control, String bucket, String password, int httpPort, Path logFile)
      throws IOException {
    this.process = process;
    this.control = control;
    this.replies =
        new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.UTF_8));
    this.bucket = bucket;
    this.password = password;
    this.httpPort = httpPort;
    this.logFile = logFile;
    JsonNode ports = command("GET_MCPORTS", JSON.createObjectNode().put("bucket", bucket));
    this.kvPort = ports.path("payload").path(0).asInt();
  }

  /**
   * Starts a mock with bucket {@code bucket} (password {@code password}) and waits until it is up.
   *
   * @throws IllegalStateException if the mock exits or does not start within a minute, or runs
   *     without the TCP_NODELAY or the sub-document parse patch
   */
  public static CouchbaseMockProcess start(String bucket, String password) {
    return start(bucket, password, classPath());
  }

  /** {@link #start(String, String)} with the mock's class path given, for tests of the patch. */
  static CouchbaseMockProcess start(String bucket, String password, String classPath) {
    return start(bucket, password, classPath, CouchbaseMockMain.class.getName(), PATCHES);
  }

  /**
   * A mock started by {@code mainClass} (which takes CouchbaseMock's arguments) from {@code
   * classPath}, refused unless its output holds every line of {@code patches}: for tests that
   * compare a patched mock with another.
   */
  static CouchbaseMockProcess start(
      String bucket, String password, String classPath, String mainClass, List<String> patches) {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(password, "password");
    try (ServerSocket harakiri = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path logFile = Files.createTempFile("couchbase-mock-", ".log");
      Process process =
          new ProcessBuilder(
                  command(classPath, mainClass, bucket, password, harakiri.getLocalPort()))
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
      Socket control = awaitConnection(harakiri, process, logFile);
      int httpPort = Integer.parseInt(readUntilNul(control.getInputStream()));
      String output = Files.readString(logFile);
      for (String patch : patches) {
        if (!output.contains(patch)) {
          control.close();
          process.destroyForcibly();
          throw new IllegalStateException(
              "CouchbaseMock started without reporting \"" + patch + "\"; see " + logFile);
        }
      }
      return new CouchbaseMockProcess(process, control, bucket, password, httpPort, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start CouchbaseMock", e);
    }
  }

  /** The mock's connection to {@code harakiri}, awaited while the process lives, for a minute. */
  private static Socket awaitConnection(ServerSocket harakiri, Process process, Path logFile)
      throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STARTUP_SECONDS);
    harakiri.setSoTimeout(250);
    while (true) {
      try {
        return harakiri.accept();
      } catch (SocketTimeoutException e) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "CouchbaseMock exited with code "
                  + process.exitValue()
                  + " before it started; its output ("
                  + logFile
                  + "):\n"
                  + Files.readString(logFile),
              e);
        }
        if (System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IllegalStateException(
              "CouchbaseMock did not start within " + STARTUP_SECONDS + " s; see " + logFile, e);
        }
      }
    }
  }

  /** The connection string: the KV and REST ports of the single node. */
  public String connectionString() {
    return "couchbase://127.0.0.1:" + kvPort + "=kv,127.0.0.1:" + httpPort + "=manager";
  }

  public String bucket() {
    return bucket;
  }

  /** The mock authenticates a bucket's user by the bucket name and password. */
  public String username() {
    return bucket;
  }

  public String password() {
    return password;
  }

  public int kvPort() {
    return kvPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** Where the mock's output goes. */
  public Path logFile() {
    return logFile;
  }

  /**
   * Sends a control command (see the CouchbaseMock README, e.g. {@code OPFAIL}) and returns the
   * reply.
   *
   * @throws IllegalStateException if the mock answers with a status other than {@code ok}
   */
  public synchronized JsonNode command(String name, JsonNode payload) {
    try {
      OutputStream out = control.getOutputStream();
      String line =
          JSON.writeValueAsString(
                  JSON.createObjectNode().put("command", name).set("payload", payload))
              + "\n";
      out.write(line.getBytes(StandardCharsets.UTF_8));
      out.flush();
      String reply = replies.readLine();
      JsonNode node = reply == null ? null : JSON.readTree(reply);
      if (node == null || !"ok".equals(node.path("status").asText())) {
        throw new IllegalStateException("CouchbaseMock refused " + name + ": " + reply);
      }
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("CouchbaseMock control connection failed", e);
    }
  }

  /** Closes the control connection, which makes the mock exit, and waits for it. */
  @Override
  public void close() {
    try {
      control.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static List<String> command(
      String classPath, String mainClass, String bucket, String password, int harakiriPort) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.addAll(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-cp", classPath));
    command.add(mainClass);
    command.addAll(
        List.of(
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--buckets",
            bucket + ":" + password + ":couchbase",
            "--nodes",
            "1",
            "--replicas",
            "0",
            "--cccp",
            "--harakiri-monitor",
            "127.0.0.1:" + harakiriPort));
    return command;
  }

  /**
   * Where the mock, byte-buddy and this module's classes come from in this JVM (jars or class
   * directories; one jar in a shaded jar), as the process's class path.
   */
  static String classPath() {
    Set<String> entries = new LinkedHashSet<>();
    entries.add(location(TcpNoDelayPatch.anchor()));
    entries.add(location(ByteBuddy.class));
    entries.add(location(CouchbaseMockMain.class));
    return String.join(File.pathSeparator, entries);
  }

  private static String location(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null) {
      throw new IllegalStateException("Cannot locate the jar of " + type.getName());
    }
    try {
      return Path.of(source.getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("Cannot locate the jar of " + type.getName(), e);
    }
  }

  private static String readUntilNul(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int b = in.read(); b > 0; b = in.read()) {
      bytes.write(b);
    }
    return bytes.toString(StandardCharsets.US_ASCII).trim();
  }
}
