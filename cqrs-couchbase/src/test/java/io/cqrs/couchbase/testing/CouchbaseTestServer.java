package io.cqrs.couchbase.testing;

import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.env.ClusterEnvironment;
import io.cqrs.couchbase.mock.CouchbaseMockProcess;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.couchbase.BucketDefinition;
import org.testcontainers.couchbase.CouchbaseContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Couchbase server that integration tests run against, found in this order:
 *
 * <ol>
 *   <li>{@code CQRS_COUCHBASE_CONNECTION} (with {@code CQRS_COUCHBASE_USERNAME}, {@code
 *       CQRS_COUCHBASE_PASSWORD}, and {@code CQRS_COUCHBASE_BUCKET}, default {@code cqrs}): a
 *       running cluster;
 *   <li>else a Testcontainers {@link CouchbaseContainer} where a Docker engine answers;
 *   <li>else CouchbaseMock started as a separate process, with TCP_NODELAY on as on a real server
 *       ({@link CouchbaseMockProcess}, from the cqrs-couchbase-mock module).
 * </ol>
 *
 * <p>{@link #shared()} starts it once per JVM, connects one {@link Cluster}, and prints which
 * server it used; a shutdown hook disconnects and stops what it started. Tests isolate themselves
 * with {@link #newKeyPrefix()} rather than with buckets. Other modules (the scale-out tests) use it
 * through this module's test-jar and can pass {@link #connectionString()}, {@link #username()},
 * {@link #password()} and {@link #bucketName()} on to child processes.
 */
public final class CouchbaseTestServer {
  /** The Couchbase Server image used where Docker runs. */
  public static final String IMAGE = "couchbase/server:7.6.2";

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicLong PREFIXES = new AtomicLong();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  private static CouchbaseTestServer shared;

  private final String description;
  private final String connectionString;
  private final String username;
  private final String password;
  private final String bucketName;
  private final Cluster cluster;
  private final Collection collection;

  private CouchbaseTestServer(
      String description,
      String connectionString,
      String username,
      String password,
      String bucketName) {
    this.description = description;
    this.connectionString = connectionString;
    this.username = username;
    this.password = password;
    this.bucketName = bucketName;
    this.cluster =
        Cluster.connect(connectionString, ClusterOptions.clusterOptions(username, password));
    Bucket bucket = cluster.bucket(bucketName);
    bucket.waitUntilReady(READY_TIMEOUT);
    this.collection = bucket.defaultCollection();
  }

  /** The server of this JVM, started (and announced on standard output) on first use. */
  public static synchronized CouchbaseTestServer shared() {
    if (shared == null) {
      shared = start();
      System.out.println("[cqrs-couchbase tests] Couchbase server: " + shared.description);
    }
    return shared;
  }

  /** Which server this is, e.g. "CouchbaseMock 1.5.27, separate process, couchbase://...". */
  public String description() {
    return description;
  }

  public String connectionString() {
    return connectionString;
  }

  public String username() {
    return username;
  }

  /** The password; tests may pass it to child processes but must not print it. */
  public String password() {
    return password;
  }

  public String bucketName() {
    return bucketName;
  }

  /** The shared cluster connection; owned by this server, do not disconnect it. */
  public Cluster cluster() {
    return cluster;
  }

  /** The bucket's default collection. */
  public Collection collection() {
    return collection;
  }

  /**
   * A connection of the caller's own to this server, with the SDK environment {@code environment}
   * sets up (a request tracer, timeouts), its bucket ready; the caller disconnects it.
   */
  public Cluster connect(Consumer<ClusterEnvironment.Builder> environment) {
    Cluster own =
        Cluster.connect(
            connectionString,
            ClusterOptions.clusterOptions(username, password).environment(environment));
    own.bucket(bucketName).waitUntilReady(READY_TIMEOUT);
    return own;
  }

  /** A key prefix no other test of any run has used, so that a test sees only its own data. */
  public String newKeyPrefix() {
    return "t" + RUN + "-" + PREFIXES.incrementAndGet();
  }

  private static CouchbaseTestServer start() {
    String connection = System.getenv("CQRS_COUCHBASE_CONNECTION");
    if (connection != null && !connection.isBlank()) {
      return new CouchbaseTestServer(
          "cluster from CQRS_COUCHBASE_CONNECTION (" + connection + ")",
          connection,
          required("CQRS_COUCHBASE_USERNAME"),
          required("CQRS_COUCHBASE_PASSWORD"),
          Objects.requireNonNullElse(System.getenv("CQRS_COUCHBASE_BUCKET"), "cqrs"));
    }
    if (dockerAnswers()) {
      return startContainer();
    }
    return startMock();
  }

  private static CouchbaseTestServer startContainer() {
    CouchbaseContainer container =
        new CouchbaseContainer(DockerImageName.parse(IMAGE))
            .withBucket(new BucketDefinition("cqrs"));
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "couchbase-container-stop"));
    return withShutdown(
        new CouchbaseTestServer(
            "Testcontainers " + IMAGE + " (" + container.getConnectionString() + ")",
            container.getConnectionString(),
            container.getUsername(),
            container.getPassword(),
            "cqrs"));
  }

  private static CouchbaseTestServer startMock() {
    CouchbaseMockProcess mock = CouchbaseMockProcess.start("cqrs", "cqrs-mock-password");
    Runtime.getRuntime().addShutdownHook(new Thread(mock::close, "couchbase-mock-stop"));
    return withShutdown(
        new CouchbaseTestServer(
            "CouchbaseMock 1.5.27 in a separate process, TCP_NODELAY on ("
                + mock.connectionString()
                + ", log "
                + mock.logFile()
                + ")",
            mock.connectionString(),
            mock.username(),
            mock.password(),
            mock.bucket()));
  }

  private static CouchbaseTestServer withShutdown(CouchbaseTestServer server) {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(server.cluster::disconnect, "couchbase-test-disconnect"));
    return server;
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          name + " must be set when CQRS_COUCHBASE_CONNECTION names a cluster");
    }
    return value;
  }
}
