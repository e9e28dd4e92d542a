package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: the KV operations of an event processor's poll of the integration log on Couchbase
 * (CouchbaseMock in this JVM), counted by the SDK's request tracer ({@link KvOperationCounter}):
 * {@code readLogEvents}, what tracking processors read, against {@code readLog}, what the relay
 * reads, over commits this repository has just saved and not yet marked published.
 */
class CouchbaseLogReadCostIT {
  private static final TypeRegistry REGISTRY = Histories.registry();
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static final int COMMITS = 20;
  private static MockCouchbase couchbase;
  private static CouchbaseEventStreamRepository store;

  @BeforeAll
  static void start() {
    couchbase = MockCouchbase.start(COUNTER);
    store =
        CouchbaseEventStreamRepository.builder(
                couchbase.collection(), new EventSerializer(REGISTRY))
            .keyPrefix("logcost-" + UUID.randomUUID().toString().substring(0, 8))
            .build();
    COUNTER.enrol();
    for (int i = 0; i < COMMITS; i++) {
      String id = "acc-" + i;
      store.save(
          StreamAppend.of(
                  id, 0, Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), REGISTRY))
              .withAggregateType(TypeRegistry.logicalName(BenchAccount.class)));
    }
  }

  @AfterAll
  static void stop() {
    store.close();
    couchbase.close();
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
   * read of the log's end alone. readLog reads each unmarked commit's claim again for its marks.
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
    assertThat(log.operations()).isEqualTo(1 + COMMITS);
    assertThat(COUNTER.unattributed()).isZero();
  }
}
