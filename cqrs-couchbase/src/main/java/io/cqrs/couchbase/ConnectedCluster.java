package io.cqrs.couchbase;

import com.couchbase.client.core.error.TimeoutException;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import io.cqrs.CqrsException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.TransientCqrsException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
      await(
          bucket,
          timeout,
          (waited, e) ->
              notReady(
                  settings.bucketName(),
                  settings.connectionString(),
                  settings.username(),
                  waited,
                  timeout,
                  e));
      Collection collection =
          scopeName == null
              ? bucket.defaultCollection()
              : bucket.scope(scopeName).collection(collectionName);
      return new ConnectedCluster(cluster, collection);
    } catch (RuntimeException e) {
      cluster.disconnect();
      if (e instanceof CqrsException) {
        throw e;
      }
      throw CouchbaseErrors.map(
          "opening bucket '" + settings.bucketName() + "' at '" + settings.connectionString() + "'",
          e);
    }
  }

  /**
   * How long the server must keep refusing a bucket before a wait for it ends early: a third of the
   * timeout, at least 10 s (so 10 s with the default 30 s).
   */
  static Duration refusedFor(Duration timeout) {
    Duration third = timeout.dividedBy(3);
    return third.compareTo(MIN_REFUSED_FOR) > 0 ? third : MIN_REFUSED_FOR;
  }

  private static final Duration MIN_REFUSED_FOR = Duration.ofSeconds(10);

  /** The first wait for the bucket before the answers so far are looked at; each next doubles. */
  private static final Duration FIRST_SLICE = Duration.ofSeconds(1);

  /** What a wait that timed out says, given how long it waited. */
  interface NotReady {
    CqrsException after(Duration waited, TimeoutException e);
  }

  /**
   * Waits until {@code bucket} is ready, at most {@code timeout}, and throws what {@code notReady}
   * makes of the SDK's timeout if it is not. The wait is made in slices (1 s, then doubling, so
   * that a slow cluster's readiness probe still fits one) so that an answer only a setting can cure
   * (a missing bucket, refused credentials) ends it once the server has given it for {@link
   * #refusedFor} in a row, instead of at the timeout (30 s by default): a bucket being created is
   * answered "not present" for a moment, which that much patience outlasts, and a caller that sets
   * a longer timeout to wait for a cluster being set up gets longer patience.
   */
  static void await(Bucket bucket, Duration timeout, NotReady notReady) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long patience = refusedFor(timeout).toNanos();
    long slice = FIRST_SLICE.toNanos();
    long refusedSince = 0;
    boolean refused = false;
    while (true) {
      long sliceStart = System.nanoTime();
      long left = deadline - sliceStart;
      // A refusal already seen ends the wait when its patience runs out, not at a slice's end.
      long wait = refused ? Math.min(slice, refusedSince + patience - sliceStart) : slice;
      try {
        bucket.waitUntilReady(Duration.ofNanos(Math.max(1_000_000, Math.min(wait, left))));
        return;
      } catch (TimeoutException e) {
        long now = System.nanoTime();
        if (now - deadline >= 0) {
          throw notReady.after(timeout, e);
        }
        slice = Math.min(slice * 2, patience);
        CqrsException said = notReady.after(Duration.ofNanos(now - start), e);
        if (said.isTransient()) {
          refused = false;
        } else if (!refused) {
          refused = true;
          refusedSince = sliceStart;
        } else if (now - refusedSince >= patience) {
          throw said;
        }
      }
    }
  }

  /**
   * A bucket that was not ready in time. The SDK says why only inside the timeout's context (its KV
   * connections' last failed attempts), and that is the message. An answer that only a setting can
   * cure (a bucket that is missing or that the user may not open, credentials refused) makes the
   * failure non-transient; anything else (a refused or timed-out TCP connection: a cluster still
   * starting, or unreachable) stays transient. The connection string and user may be unknown (null:
   * a cluster connected elsewhere); {@code waited} is less than {@code timeout} if the wait ended
   * early.
   */
  static CqrsException notReady(
      String bucketName,
      String connectionString,
      String username,
      Duration waited,
      Duration timeout,
      TimeoutException e) {
    Set<String> answers = lastConnectFailures(String.valueOf(e.getMessage()));
    String opening =
        "Couchbase bucket '"
            + bucketName
            + "'"
            + (connectionString == null ? "" : " at '" + connectionString + "'")
            + " was not ready within "
            + (waited.compareTo(timeout) < 0
                ? waited.truncatedTo(ChronoUnit.MILLIS)
                    + " (of "
                    + timeout
                    + " allowed: the server kept refusing it for "
                    + refusedFor(timeout).toSeconds()
                    + " s)"
                : timeout);
    if (answers.isEmpty()) {
      return new TransientCqrsException(
          opening + ": no answer; check that the cluster runs and is reachable from here", e);
    }
    if (answers.stream().noneMatch(ConnectedCluster::refusal)) {
      return new TransientCqrsException(
          opening
              + ": "
              + String.join("; ", answers)
              + ". Check that the cluster runs and is reachable from here",
          e);
    }
    return new NonTransientCqrsException(
        opening
            + (username == null ? "" : " for user '" + username + "'")
            + "; the server answered: "
            + String.join("; ", answers)
            + ". Check the bucket's name, the user's password and its roles on the bucket",
        e);
  }

  /** Whether the server's answer refuses the bucket or the user: a setting to fix. */
  private static boolean refusal(String answer) {
    String lower = answer.toLowerCase(Locale.ROOT);
    return lower.contains("no_access")
        || lower.contains("is not present")
        || lower.contains("privileges")
        || lower.contains("authentication")
        || lower.contains("sasl");
  }

  private static final Pattern LAST_FAILURE =
      Pattern.compile("\"lastConnectAttemptFailure\":\"((?:[^\"\\\\]|\\\\.)*?)(?: \\{|\")");

  /**
   * The distinct reasons of the failed connection attempts the SDK lists in a timeout's context.
   */
  static Set<String> lastConnectFailures(String message) {
    Set<String> found = new LinkedHashSet<>();
    Matcher matcher = LAST_FAILURE.matcher(message);
    while (matcher.find() && found.size() < 4) {
      String answer = matcher.group(1).replace("\\\"", "\"").strip();
      while (answer.endsWith(".")) {
        answer = answer.substring(0, answer.length() - 1); // the message goes on after it
      }
      found.add(answer);
    }
    return found;
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
