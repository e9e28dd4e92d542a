package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.couchbase.testing.KvOperationCounter;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 2: the sequential round trips of one Couchbase save (CouchbaseMock in this JVM),
 * seen by the SDK's request tracer ({@link KvOperationCounter}). What is counted is time with an
 * operation in flight, so a stalled thread can add a stretch: this stays with the opt-in
 * benchmarks, while the exact operation counts of the command path are asserted in the build by
 * cqrs-couchbase's {@code CouchbaseCommandCostIT}.
 */
class CouchbaseSaveRoundTripsIT {
  private static final TypeRegistry REGISTRY = Histories.registry();
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static MockCouchbase couchbase;
  private static final String PREFIX = "trips-" + UUID.randomUUID().toString().substring(0, 8);
  private static CouchbaseEventStreamRepository store;

  @BeforeAll
  static void start() {
    couchbase = MockCouchbase.start(COUNTER);
    store =
        CouchbaseEventStreamRepository.builder(
                couchbase.collection(), new EventSerializer(REGISTRY))
            .keyPrefix(PREFIX)
            .build();
    COUNTER.enrol();
  }

  @AfterAll
  static void stop() {
    store.close();
    couchbase.close();
  }

  private static String openAccount() {
    String id = "acc-" + UUID.randomUUID();
    store.save(
        StreamAppend.of(
                id, 0, Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), REGISTRY))
            .withAggregateType(TypeRegistry.logicalName(BenchAccount.class)));
    return id;
  }

  /**
   * The save waits for three round trips: the head lookup with the increment, the index append with
   * the commit insert, the claim insert. The head mutation is sent as the save returns and counts
   * as a fourth stretch of time with an operation in flight, which the saving thread does not wait
   * for. The counter sees time, not intent: if the increment's answer arrives before the lookup is
   * sent, that save waited one more.
   */
  @Test
  void a_save_waits_for_three_round_trips_and_not_for_the_head() {
    Map<Long, Integer> savesByStretches = new TreeMap<>();
    for (int i = 0; i < 20; i++) {
      String account = openAccount();
      KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
      List<VersionedEvent> second =
          Histories.envelopes(
                  account,
                  List.of(new AccountOpened(account, "bob"), new AccountOpened(account, "bob")),
                  REGISTRY)
              .subList(1, 2); // version 2
      COUNTER.start(tally);
      try {
        store.save(account, 1, second);
      } finally {
        COUNTER.stop();
      }
      assertThat(tally.operations()).isEqualTo(6);
      savesByStretches.merge(tally.roundTrips(), 1, Integer::sum);
    }
    assertThat(savesByStretches.keySet())
        .as("saves by stretches with an operation in flight: %s", savesByStretches)
        .isSubsetOf(4L, 5L)
        .contains(4L);
  }
}
