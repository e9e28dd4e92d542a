package io.cqrs.benchmarks;

import com.couchbase.client.core.cnc.RequestTracer;
import com.couchbase.client.core.env.SeedNode;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import io.cqrs.couchbase.mock.InProcessCouchbaseMock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * CouchbaseMock 1.5.27 (a Java simulator of Couchbase Server) started in the benchmark's JVM, with
 * one SDK connection to its single bucket. It runs with TCP_NODELAY on, as a real server does
 * ({@link InProcessCouchbaseMock}; unpatched, every second response in flight on a connection
 * waited about 40 ms for the client's delayed ACK), and with its sub-document parses memoised (the
 * bytes it allocates count in {@code -prof gc}'s B/op). Timings against it still say little about a
 * real cluster: the simulator shares the benchmark's two cores and its heap.
 */
final class MockCouchbase implements AutoCloseable {
  private static final String BUCKET = "bench";
  private static final String PASSWORD = "benchpw";

  private final InProcessCouchbaseMock mock;
  private final Cluster cluster;
  private final Collection collection;

  private MockCouchbase(InProcessCouchbaseMock mock, Cluster cluster, Collection collection) {
    this.mock = mock;
    this.cluster = cluster;
    this.collection = collection;
  }

  /** Starts the simulator and connects. */
  static MockCouchbase start() {
    return start(null);
  }

  /**
   * Starts the simulator and connects with {@code tracer} as the SDK's request tracer (which sees
   * every operation the connection makes), or the SDK's default tracer if null.
   */
  static MockCouchbase start(RequestTracer tracer) {
    InProcessCouchbaseMock mock = InProcessCouchbaseMock.start(BUCKET, PASSWORD);
    Cluster cluster =
        Cluster.connect(
            Set.of(
                SeedNode.create(
                    "127.0.0.1", Optional.of(mock.kvPort()), Optional.of(mock.httpPort()))),
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
    mock.close();
  }
}
