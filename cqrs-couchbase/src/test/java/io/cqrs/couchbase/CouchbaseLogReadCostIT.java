package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.Cluster;
import io.cqrs.EventSerializer;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.couchbase.testing.KvOperationCounter;
import io.cqrs.spi.LoggedEvent;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: the KV operations of an event processor's poll of the integration log on Couchbase
 * counted by the SDK's request tracer ({@link KvOperationCounter}): {@code readLogEvents}, what
 * tracking processors read, against {@code readLog}, what the relay reads, over commits this
 * repository has just saved and not yet marked published.
 */
class CouchbaseLogReadCostIT {
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static final CouchbaseTestServer SERVER = CouchbaseTestServer.shared();
  private static final int COMMITS = 20;
  private static Cluster cluster;
  private static CouchbaseEventStreamRepository store;

  @BeforeAll
  static void start() {
    // A connection of its own, with the counter as its request tracer.
    cluster = SERVER.connect(env -> env.requestTracer(COUNTER));
    store =
        CouchbaseEventStreamRepository.builder(
                cluster.bucket(SERVER.bucketName()).defaultCollection(),
                new EventSerializer(TestEvents.registry()))
            .keyPrefix(SERVER.newKeyPrefix())
            .build();
    COUNTER.enrol();
    for (int i = 0; i < COMMITS; i++) {
      String id = "acc-" + i;
      store.save(id, 0, TestEvents.batch(id, 0, 1));
    }
  }

  @AfterAll
  static void stop() {
    store.close();
    cluster.disconnect();
  }

  private static KvOperationCounter.Tally count(Supplier<List<LoggedEvent>> read, int events) {
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
    COUNTER.start(tally);
    try {
      assertThat(read.get()).hasSize(events);
    } finally {
      COUNTER.stop();
    }
    return tally;
  }

  /**
   * The commits were saved by this repository, so it answers them from memory: the poll costs the
   * read of the log's end alone. readLog reads each unmarked commit's claim again for its marks,
   * and, since some are unmarked, how far a relay passed the log without marks (one get, however
   * many are unmarked; docs/couchbase-relay.md).
   */
  @Test
  void a_processor_poll_of_commits_this_repository_saved_costs_one_counter_read() {
    KvOperationCounter.Tally events = count(() -> store.readLogEvents(1, 1_000), COMMITS);
    KvOperationCounter.Tally log = count(() -> store.readLog(1, 1_000), COMMITS);
    KvOperationCounter.Tally again = count(() -> store.readLogEvents(1, 1_000), COMMITS);

    System.out.printf(
        "[CouchbaseLogReadCostIT] a poll of %d fresh commits: readLogEvents %d KV operations %s,"
            + " readLog %d %s, readLogEvents again %d%n",
        COMMITS,
        events.operations(),
        new TreeMap<>(events.byOperation()),
        log.operations(),
        new TreeMap<>(log.byOperation()),
        again.operations());
    assertThat(events.operations()).isEqualTo(1);
    assertThat(again.operations()).isEqualTo(1);
    assertThat(log.operations()).isEqualTo(1 + COMMITS + 1);
    assertThat(COUNTER.unattributed()).isZero();
  }
}
