package io.cqrs.benchmarks;

import com.couchbase.client.core.cnc.RequestTracer;
import com.couchbase.client.core.env.SeedNode;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import com.couchbase.mock.BucketConfiguration;
import com.couchbase.mock.CouchbaseMock;
import com.couchbase.mock.memcached.MemcachedServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * CouchbaseMock 1.5.27 (a Java simulator of Couchbase Server) started in the benchmark's JVM, with
 * one SDK connection to its single bucket. Timings against it say nothing about a real cluster: the
 * simulator shares the benchmark's two cores, and it leaves Nagle's algorithm on for its
 * connections, which delays every second response in flight on a connection by the client's delayed
 * ACK (see {@code docs/couchbase.md}).
 */
final class MockCouchbase implements AutoCloseable {
  private static final String BUCKET = "bench";
  private static final String PASSWORD = "benchpw";

  private final CouchbaseMock mock;
  private final Cluster cluster;
  private final Collection collection;

  private MockCouchbase(CouchbaseMock mock, Cluster cluster, Collection collection) {
    this.mock = mock;
    this.cluster = cluster;
    this.collection = collection;
  }

  /** Starts the simulator with CCCP on (else the SDK logs refresh failures) and connects. */
  static MockCouchbase start() throws IOException, InterruptedException {
    return start(null);
  }

  /**
   * Starts the simulator and connects with {@code tracer} as the SDK's request tracer (which sees
   * every operation the connection makes), or the SDK's default tracer if null.
   */
  static MockCouchbase start(RequestTracer tracer) throws IOException, InterruptedException {
    BucketConfiguration bucket = new BucketConfiguration();
    bucket.type = com.couchbase.mock.Bucket.BucketType.COUCHBASE;
    bucket.numNodes = 1;
    bucket.numReplicas = 0;
    bucket.name = BUCKET;
    bucket.password = PASSWORD;
    CouchbaseMock mock = new CouchbaseMock(0, List.of(bucket));
    mock.start();
    mock.waitForStartup();
    for (MemcachedServer server : mock.getBuckets().get(BUCKET).getServers()) {
      server.setCccpEnabled(true);
    }
    Cluster cluster =
        Cluster.connect(
            Set.of(
                SeedNode.create(
                    "127.0.0.1",
                    Optional.of(mock.getCarrierPort(BUCKET)),
                    Optional.of(mock.getHttpPort()))),
            tracer == null
                ? ClusterOptions.clusterOptions(BUCKET, PASSWORD)
                : ClusterOptions.clusterOptions(BUCKET, PASSWORD)
                    .environment(env -> env.requestTracer(tracer)));
    Bucket connected = cluster.bucket(BUCKET);
    connected.waitUntilReady(Duration.ofSeconds(30));
    return new MockCouchbase(mock, cluster, connected.defaultCollection());
  }

  /** The bucket's default collection. */
  Collection collection() {
    return collection;
  }

  /** Disconnects and stops the simulator. */
  @Override
  public void close() {
    cluster.disconnect();
    mock.stop();
  }
}
