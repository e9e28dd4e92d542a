package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.Cluster;
import io.cqrs.EventSerializer;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.couchbase.testing.KvOperationCounter;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A commit too large for the resolver's ring (a bulk import), read in pages by another process's
 * log readers, as a relay and every tracking processor segment read it: the commit's document is
 * fetched and decoded once, not once per page. Read again per page, relaying a 60,000-event commit
 * in pages of 500 fetched and decoded it 120 times and took a minute: quadratic in its size.
 */
class CouchbaseLargeCommitReadIT {
  private static final CouchbaseTestServer SERVER = CouchbaseTestServer.shared();
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static final int EVENTS = 2_000;
  private static final int PAGE = 100;
  private static Cluster counted;
  private static CouchbaseEventStreamRepository writer;
  private static CouchbaseEventStreamRepository reader;

  @BeforeAll
  static void start() {
    String prefix = SERVER.newKeyPrefix();
    writer = store(SERVER.cluster(), prefix);
    // The reader is another process: nothing of the commit is in its memory.
    counted = SERVER.connect(env -> env.requestTracer(COUNTER));
    reader = store(counted, prefix);
    COUNTER.enrol();
    writer.save("bulk", 0, TestEvents.batch("bulk", 0, EVENTS));
    // Marked throughout, so that a relay's read needs neither the claim again nor how far relays
    // passed the log (which it reads at most four times a second, depending on timing).
    writer.markPublished("bulk", 1, EVENTS);
    writer.save("bulk-b", 0, TestEvents.batch("bulk-b", 0, EVENTS / 2)); // the next sequence
    writer.markPublished("bulk-b", 1, EVENTS / 2); // read ahead with the first: marked too
    // Marked throughout, so that a relay's read needs neither the claim again nor how far relays
    // passed the log (which it reads at most four times a second, depending on timing).
    writer.markPublished("bulk", 1, EVENTS);
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

  /** Reads the whole commit in pages; returns the KV operations of every page after the first. */
  private static List<KvOperationCounter.Tally> pages(
      BiFunction<Long, Integer, List<LoggedEvent>> read) {
    List<KvOperationCounter.Tally> tallies = new ArrayList<>();
    List<Long> positions = new ArrayList<>();
    long from = 1;
    while (positions.size() < EVENTS) {
      KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
      COUNTER.start(tally);
      List<LoggedEvent> page;
      try {
        page = read.apply(from, PAGE);
      } finally {
        COUNTER.stop();
      }
      assertThat(page).hasSize(PAGE);
      for (LoggedEvent entry : page) {
        assertThat(entry.event().version()).isEqualTo(positions.size() + 1L);
        positions.add(entry.position());
      }
      from = page.get(page.size() - 1).position() + 1;
      tallies.add(tally);
    }
    return tallies.subList(1, tallies.size());
  }

  @Test
  void a_processor_reads_a_large_commit_from_its_document_once() {
    List<KvOperationCounter.Tally> later = pages(reader::readLogEvents);

    System.out.printf(
        "[CouchbaseLargeCommitReadIT] readLogEvents, a page after the first: %s%n",
        new TreeMap<>(later.get(0).byOperation()));
    // The log's end, nothing else: the commit is answered from memory.
    assertThat(later).allSatisfy(tally -> assertThat(tally.operations()).isEqualTo(1));
  }

  @Test
  void a_relay_reads_a_large_commit_from_its_document_once() {
    List<KvOperationCounter.Tally> later = pages(reader::readLog);

    System.out.printf(
        "[CouchbaseLargeCommitReadIT] readLog, a page after the first: %s%n",
        new TreeMap<>(later.get(0).byOperation()));
    // The log's end, nothing else: the commit is marked throughout and answered from memory.
    assertThat(later).allSatisfy(tally -> assertThat(tally.operations()).isEqualTo(1));
  }

  /**
   * Two readers of one process paging through two different large commits (a relay one bulk import
   * behind the processors, a processor rebuilding from the start while others follow the head):
   * each page costs what a kept commit costs. A review found one held commit, which the two readers
   * pushed out of each other's way at every page, each page fetching and decoding its whole commit
   * again.
   */
  @Test
  void two_readers_in_two_large_commits_each_read_their_commit_once() {
    long a = 1;
    long b = LogReader.position(LogReader.sequenceOf(a) + 1, 0);
    assertThat(reader.readLogEvents(b, 1).get(0).event().sourceId()).isEqualTo("bulk-b");
    List<Long> laterPages = new ArrayList<>();
    for (int page = 0; page < EVENTS / 2 / PAGE; page++) {
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
        "[CouchbaseLargeCommitReadIT] two readers, KV operations per later page: " + laterPages);
    // The log's end at most, nothing else, as for one reader.
    assertThat(laterPages).allSatisfy(ops -> assertThat(ops).isLessThanOrEqualTo(1L));
  }
}
