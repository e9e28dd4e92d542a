package io.cqrs.couchbase;

import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A process whose own relay holds the lease and whose repository saves one deposit and publishes
 * it, then parks, for the kill tests: {@code <connection> <user> <password> <bucket> <prefix>
 * <park> <account>}. Its bus prints {@code PUBLISHED <stream>@<version>} for each event it takes.
 * With {@code park} {@code PUBLISHED} the bus parks right after printing, before the repository
 * learns the events are out (so no mark is owed or written); with {@code OWED} the process parks
 * once the save has returned, its mark owed to the store and not written; with {@code PASSED} its
 * relay then makes one more pass, which passes the commit whose mark it owed (forgetting the mark,
 * recording the run), and the process parks once that pass has returned. It prints {@code PARKED}
 * and blocks for good, so that the test can kill it there.
 */
public final class PublishChild {
  private PublishChild() {}

  public static void main(String[] args) throws Exception {
    boolean parkInBus = args[5].equals("PUBLISHED");
    Cluster cluster = Cluster.connect(args[0], ClusterOptions.clusterOptions(args[1], args[2]));
    Bucket bucket = cluster.bucket(args[3]);
    bucket.waitUntilReady(Duration.ofSeconds(30));
    CouchbaseEventStreamRepository store =
        CouchbaseEventStreamRepository.builder(bucket.defaultCollection(), TestEvents.serializer())
            .keyPrefix(args[4])
            .gapGracePeriod(Duration.ofMillis(300))
            .build();
    EventBus bus =
        new EventBus() {
          @Override
          public void publish(List<VersionedEvent> events) {
            for (VersionedEvent event : events) {
              System.out.println("PUBLISHED " + event.sourceId() + "@" + event.version());
            }
            System.out.flush();
            if (parkInBus) {
              park();
            }
          }

          @Override
          public Subscription subscribe(
              String subscription, int listeners, VersionedEventHandler consumer) {
            throw new UnsupportedOperationException("publish only");
          }

          @Override
          public void close() {}
        };
    EventRelay relay =
        EventRelay.builder(store, bus)
            .owner("child")
            .grace(Duration.ofDays(1))
            .leaseTtl(Duration.ofSeconds(30))
            .build();
    relay.publishPending(); // takes the lease; never passes again, never renews it
    if (!relay.isLeader()) {
      throw new IllegalStateException("the child's relay did not take the lease");
    }
    Account account = new Account(args[6]);
    account.deposit(10);
    EventSourcingRepository.builder(store, TestEvents.registry())
        .publisher(bus)
        .build()
        .save(account, "deposit");
    if (args[5].equals("PASSED")) {
      relay.publishPending();
    }
    park();
  }

  private static void park() {
    System.out.println("PARKED");
    System.out.flush();
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
