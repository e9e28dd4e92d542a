package io.cqrs.couchbase;

import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/** A cluster connection the repository opened itself, and so closes. */
final class ConnectedCluster implements AutoCloseable {

  /** Where to connect; {@link #toString()} leaves the password out. */
  record Settings(String connectionString, String username, String password, String bucketName) {
    @Override
    public String toString() {
      return "Settings[" + connectionString + ", user " + username + ", bucket " + bucketName + "]";
    }
  }

  private final Cluster cluster;
  private final Collection collection;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ConnectedCluster(Cluster cluster, Collection collection) {
    this.cluster = cluster;
    this.collection = collection;
  }

  static ConnectedCluster connect(
      Settings settings, String scopeName, String collectionName, Duration timeout) {
    Cluster cluster;
    try {
      cluster =
          Cluster.connect(
              settings.connectionString(),
              ClusterOptions.clusterOptions(settings.username(), settings.password()));
    } catch (RuntimeException e) {
      throw CouchbaseErrors.map("connect to '" + settings.connectionString() + "'", e);
    }
    try {
      Bucket bucket = cluster.bucket(settings.bucketName());
      bucket.waitUntilReady(timeout);
      Collection collection =
          scopeName == null
              ? bucket.defaultCollection()
              : bucket.scope(scopeName).collection(collectionName);
      return new ConnectedCluster(cluster, collection);
    } catch (RuntimeException e) {
      cluster.disconnect();
      throw CouchbaseErrors.map(
          "opening bucket '" + settings.bucketName() + "' at '" + settings.connectionString() + "'",
          e);
    }
  }

  Collection collection() {
    return collection;
  }

  /** Disconnects once: the SDK's disconnect of a disconnected cluster waits out a timeout. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      cluster.disconnect();
    }
  }
}
