package io.cqrs.couchbase;

import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A process that runs one tracking processor on Couchbase into a {@link DocumentLedger}, for the
 * crash tests: {@code <connection> <user> <password> <bucket> <prefix> <processor> <segments>
 * <owner> <claimTtlMillis> <batchSize> <parkAfter>}. It prints {@code READY <pid>} once started.
 * With {@code parkAfter > 0} its handler applies that many events, prints {@code PARKED} and then
 * blocks for good, in the middle of a batch, so that the test can kill it there.
 */
public final class ProcessorChild {
  private ProcessorChild() {}

  public static void main(String[] args) throws Exception {
    String prefix = args[4];
    int parkAfter = Integer.parseInt(args[10]);
    Cluster cluster = Cluster.connect(args[0], ClusterOptions.clusterOptions(args[1], args[2]));
    Bucket bucket = cluster.bucket(args[3]);
    bucket.waitUntilReady(Duration.ofSeconds(30));
    Collection collection = bucket.defaultCollection();
    CouchbaseEventStreamRepository store =
        CouchbaseEventStreamRepository.builder(collection, TestEvents.serializer())
            .keyPrefix(prefix)
            .gapGracePeriod(Duration.ofMillis(300))
            .build();
    DocumentLedger ledger = new DocumentLedger(collection, prefix);
    AtomicInteger applied = new AtomicInteger();
    CountDownLatch never = new CountDownLatch(1);
    TrackingEventProcessor processor =
        EventProcessor.tracking(args[5], store)
            .segments(Integer.parseInt(args[6]))
            .owner(args[7])
            .claimTtl(Duration.ofMillis(Long.parseLong(args[8])))
            .batchSize(Integer.parseInt(args[9]))
            .idleWait(Duration.ofMillis(20))
            .projection(
                new io.cqrs.Projection() {
                  @Override
                  public long appliedVersion(String streamId) {
                    return ledger.appliedVersion(streamId);
                  }

                  @Override
                  public void apply(VersionedEvent event) throws Exception {
                    ledger.apply(event);
                    if (applied.incrementAndGet() == parkAfter) {
                      System.out.println("PARKED");
                      System.out.flush();
                      never.await();
                    }
                  }
                })
            .build();
    processor.start();
    System.out.println("READY " + ProcessHandle.current().pid());
    System.out.flush();
    never.await();
  }
}
