package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.json.JsonObject;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentState;
import io.cqrs.testing.Await;
import io.cqrs.testing.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tracking processors in child JVMs on one Couchbase store, killed with SIGKILL: one killed in the
 * middle of a batch and restarted, and one of three processes sharing a processor killed while
 * events keep coming. Each time the read model must end equal to a fold of the store, with every
 * event applied exactly once ({@code writes == v} in each ledger document) and in version order.
 */
class CouchbaseProcessorCrashIT extends RepositoryIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final int STREAMS = 12;

  private final CouchbaseEventStreamRepository store = repository();
  private final DocumentLedger ledger = new DocumentLedger(collection, prefix);
  private final List<ChildJvm> children = new ArrayList<>();
  private final Map<String, Long> versions = new HashMap<>();

  @AfterEach
  void killChildren() throws Exception {
    for (ChildJvm child : children) {
      child.close();
    }
  }

  private ChildJvm child(String processor, int segments, String owner, int parkAfter)
      throws Exception {
    ChildJvm child =
        ChildJvm.start(
            ProcessorChild.class,
            Map.of(),
            childArgs(
                processor,
                String.valueOf(segments),
                owner,
                "1500",
                "40",
                String.valueOf(parkAfter)));
    children.add(child);
    child.awaitLine("READY " + child.pid(), WAIT);
    return child;
  }

  private void append(int eventsPerStream) {
    for (int s = 0; s < STREAMS; s++) {
      String stream = "ledger-" + s;
      long version = versions.getOrDefault(stream, 0L);
      store.save(stream, version, TestEvents.batch(stream, version, eventsPerStream));
      versions.put(stream, version + eventsPerStream);
    }
  }

  /** Every stream's ledger document at its stream's version. */
  private boolean caughtUp() {
    return versions.entrySet().stream()
        .allMatch(e -> ledger.appliedVersion(e.getKey()) == e.getValue());
  }

  private long applied() {
    return versions.keySet().stream().mapToLong(ledger::appliedVersion).sum();
  }

  private void assertLedgerIsAFoldAppliedOnce() {
    Map<String, Long> totals = new HashMap<>();
    for (LoggedEvent entry : store.readLog(1, 100_000)) {
      totals.merge(
          entry.event().sourceId(),
          entry.event().eventAs(TestEvents.Deposited.class).amount(),
          Long::sum);
    }
    for (Map.Entry<String, Long> stream : versions.entrySet()) {
      JsonObject doc = ledger.document(stream.getKey()).orElseThrow();
      assertThat(doc.getLong("v")).as(stream.getKey()).isEqualTo(stream.getValue());
      assertThat(doc.getLong("writes"))
          .as(stream.getKey() + ": applied once each")
          .isEqualTo(stream.getValue());
      assertThat(doc.getLong("bad")).as(stream.getKey() + ": in order").isZero();
      assertThat(doc.getLong("total")).as(stream.getKey()).isEqualTo(totals.get(stream.getKey()));
    }
  }

  @Test
  void a_processor_killed_in_the_middle_of_a_batch_resumes_and_applies_nothing_twice()
      throws Exception {
    append(25); // 300 events; batches of 40 log positions
    ChildJvm first = child("crashy", 1, "first", 150);

    first.awaitLine("PARKED", WAIT);
    long checkpointAtKill = store.segments("crashy").get(0).checkpoint();
    first.kill();

    assertThat(applied()).as("events applied before the kill").isEqualTo(150);
    assertThat(checkpointAtKill)
        .as("the checkpoint lags the applied events: the kill fell inside a batch")
        .isPositive()
        .isLessThan(store.readLog(1, 1000).get(149).position());

    child("crashy", 1, "second", 0); // takes over once the first's claim runs out
    append(5);
    Await.until(WAIT, "the restarted processor caught up", this::caughtUp);
    assertLedgerIsAFoldAppliedOnce();
  }

  @Test
  void when_one_of_three_processes_dies_its_segments_move_and_nothing_is_lost_or_doubled()
      throws Exception {
    append(10);
    child("shared", 4, "a", 0);
    ChildJvm b = child("shared", 4, "b", 0);
    child("shared", 4, "c", 0);
    Await.until(
        WAIT, "three owners share the four segments", () -> owners().equals(Set.of("a", "b", "c")));
    Await.until(WAIT, "the history applied", this::caughtUp);

    b.kill();
    append(10);
    Await.until(
        WAIT,
        () -> "b's segments taken over, owners now " + owners(),
        () -> owners().equals(Set.of("a", "c")));
    append(5);
    Await.until(WAIT, "everything applied", this::caughtUp);

    assertLedgerIsAFoldAppliedOnce();
  }

  /** The names the children gave their processors: the owner ids before their random suffix. */
  private Set<String> owners() {
    return store.segments("shared").stream()
        .map(SegmentState::owner)
        .filter(o -> o != null)
        .map(o -> o.substring(0, o.indexOf('#')))
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
