package io.cqrs.couchbase;

import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A process that makes one save and parks between two of its writes, for the kill tests: {@code
 * <connection> <user> <password> <bucket> <prefix> <step> <stream> <expected> <events> <command>
 * <correlation>}. It saves {@code events} events after version {@code expected} as the effect of
 * {@code command}, prints {@code PARKED} when the save reaches {@code step} (a {@link
 * StreamWriter.Step}) and blocks there for good, so that the test can kill it there.
 */
public final class SaveChild {
  private SaveChild() {}

  public static void main(String[] args) throws Exception {
    StreamWriter.Step parkAt = StreamWriter.Step.valueOf(args[5]);
    Cluster cluster = Cluster.connect(args[0], ClusterOptions.clusterOptions(args[1], args[2]));
    Bucket bucket = cluster.bucket(args[3]);
    bucket.waitUntilReady(Duration.ofSeconds(30));
    CountDownLatch never = new CountDownLatch(1);
    CouchbaseEventStreamRepository store =
        CouchbaseEventStreamRepository.builder(bucket.defaultCollection(), TestEvents.serializer())
            .keyPrefix(args[4])
            .gapGracePeriod(Duration.ofMillis(300))
            .saveHook(
                step -> {
                  if (step == parkAt) {
                    System.out.println("PARKED");
                    System.out.flush();
                    try {
                      never.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                })
            .build();
    long expected = Long.parseLong(args[7]);
    store.save(
        args[6],
        expected,
        TestEvents.batch(args[6], expected, Integer.parseInt(args[8]), args[10]),
        args[9]);
    System.out.println("SAVED"); // the step was never reached
  }
}
