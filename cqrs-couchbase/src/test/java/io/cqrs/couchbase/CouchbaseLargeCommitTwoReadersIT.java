package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.Cluster;
import io.cqrs.EventSerializer;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.couchbase.testing.KvOperationCounter;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two readers of one process paging through two different large commits (a relay one bulk import
 * behind the processors, a processor rebuilding from the start while others follow the head): each
 * page costs what a kept commit costs (a review found one held commit, which the two readers pushed
 * out of each other's way at every page, each page fetching and decoding its whole commit again).
 */
class CouchbaseLargeCommitTwoReadersIT {
  private static final CouchbaseTestServer SERVER = CouchbaseTestServer.shared();
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static final int EVENTS = 1_000;
  private static final int PAGE = 100;
  private static Cluster counted;
  private static CouchbaseEventStreamRepository writer;
  private static CouchbaseEventStreamRepository reader;

  @BeforeAll
  static void start() {
    String prefix = SERVER.newKeyPrefix();
    writer = store(SERVER.cluster(), prefix);
    counted = SERVER.connect(env -> env.requestTracer(COUNTER));
    reader = store(counted, prefix);
    COUNTER.enrol();
    writer.save("bulk-a", 0, TestEvents.batch("bulk-a", 0, EVENTS));
    writer.save("bulk-b", 0, TestEvents.batch("bulk-b", 0, EVENTS));
  }

  private static CouchbaseEventStreamRepository store(Cluster cluster, String prefix) {
    return CouchbaseEventStreamRepository.builder(
            cluster.bucket(SERVER.bucketName()).defaultCollection(),
            new EventSerializer(TestEvents.registry()))
        .keyPrefix(prefix)
        .build();
  }

  @AfterAll
  static void stop() {
    reader.close();
    writer.close();
    counted.disconnect();
  }

  @Test
  void two_readers_in_two_large_commits_each_read_their_commit_once() {
    long a = reader.readLogEvents(1, 1).get(0).position();
    long b = LogReader.position(LogReader.sequenceOf(a) + 1, 0);
    assertThat(reader.readLogEvents(b, 1).get(0).event().sourceId()).isEqualTo("bulk-b");
    List<Long> laterPages = new ArrayList<>();
    for (int page = 0; page < EVENTS / PAGE - 1; page++) {
      for (int r = 0; r < 2; r++) {
        long from = r == 0 ? a : b;
        KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
        COUNTER.start(tally);
        List<LoggedEvent> read;
        try {
          read = reader.readLogEvents(from, PAGE);
        } finally {
          COUNTER.stop();
        }
        assertThat(read).hasSize(PAGE);
        if (page > 0) {
          laterPages.add(tally.operations());
        }
        long next = read.get(read.size() - 1).position() + 1;
        if (r == 0) {
          a = next;
        } else {
          b = next;
        }
      }
    }
    System.out.println(
        "[CouchbaseLargeCommitTwoReadersIT] KV operations per later page: " + laterPages);
    // As CouchbaseLargeCommitReadIT asserts for one reader: the log's end at most, nothing else.
    assertThat(laterPages).allSatisfy(ops -> assertThat(ops).isLessThanOrEqualTo(1L));
  }
}
