package io.cqrs.couchbase.mock;

import com.couchbase.mock.BucketConfiguration;
import com.couchbase.mock.CouchbaseMock;
import com.couchbase.mock.memcached.MemcachedServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * CouchbaseMock running in this JVM, with one Couchbase bucket, one node, no replicas, CCCP on,
 * TCP_NODELAY on its KV connections ({@link TcpNoDelayPatch}), {@code GET_META} answered ({@link
 * GetMetaPatch}) and its sub-document parses memoised ({@link SubdocParsePatch}). For benchmarks
 * that want the mock beside the code they measure; tests share a {@link CouchbaseMockProcess}
 * instead.
 *
 * <p>Connect the SDK with a seed node of {@code 127.0.0.1}, {@link #kvPort()} and {@link
 * #httpPort()}, and the bucket name and password as the credentials.
 */
public final class InProcessCouchbaseMock implements AutoCloseable {
  private final CouchbaseMock mock;
  private final String bucket;
  private final String password;

  private InProcessCouchbaseMock(CouchbaseMock mock, String bucket, String password) {
    this.mock = mock;
    this.bucket = bucket;
    this.password = password;
  }

  /**
   * Patches the mock (once per JVM), starts it with bucket {@code bucket} (password {@code
   * password}) and waits until it is up.
   *
   * @throws IllegalStateException if the mock cannot be patched (see {@link TcpNoDelayPatch} and
   *     {@link SubdocParsePatch})
   */
  public static InProcessCouchbaseMock start(String bucket, String password) {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(password, "password");
    TcpNoDelayPatch.apply();
    SubdocParsePatch.apply();
    ItemSizePatch.apply();
    BucketConfiguration configuration = new BucketConfiguration();
    configuration.type = com.couchbase.mock.Bucket.BucketType.COUCHBASE;
    configuration.numNodes = 1;
    configuration.numReplicas = 0;
    configuration.name = bucket;
    configuration.password = password;
    try {
      CouchbaseMock mock = new CouchbaseMock(0, List.of(configuration));
      mock.start();
      mock.waitForStartup();
      // Without CCCP the SDK logs a failed config refresh every few seconds.
      for (MemcachedServer server : mock.getBuckets().get(bucket).getServers()) {
        server.setCccpEnabled(true);
      }
      return new InProcessCouchbaseMock(mock, bucket, password);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start CouchbaseMock", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while CouchbaseMock started", e);
    }
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

  /** The KV (memcached protocol) port of the single node. */
  public int kvPort() {
    return mock.getCarrierPort(bucket);
  }

  /** The REST port. */
  public int httpPort() {
    return mock.getHttpPort();
  }

  /** The connection string: the KV and REST ports of the single node. */
  public String connectionString() {
    return "couchbase://127.0.0.1:" + kvPort() + "=kv,127.0.0.1:" + httpPort() + "=manager";
  }

  /** The node's KV server, for tests of the patch. */
  MemcachedServer server() {
    return mock.getBuckets().get(bucket).getServers()[0];
  }

  /** Stops the mock. */
  @Override
  public void close() {
    mock.stop();
  }
}
