package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.java.Cluster;
import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.couchbase.testing.KvOperationCounter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bounded load ({@code loadStream(stream, from, max)}) reads what its page needs, not the rest of
 * the stream (docs/couchbase.md, "Loading"): from early in a stream whose head has moved hundreds
 * of commits to pages, a window of pages and the page's commits; past a head that lags behind many
 * claims, only the claims the page reaches. Each test counts the operations with the SDK's request
 * tracer and compares the events with an unbounded load's.
 */
class CouchbaseBoundedLoadIT extends RepositoryIT {
  private static final int WINDOW = 2;
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static Cluster counted;

  /** Set while saves should die right after their claim, leaving the head behind. */
  private final AtomicBoolean dieAfterClaim = new AtomicBoolean();

  private final CouchbaseEventStreamRepository store =
      CouchbaseEventStreamRepository.builder(
              counted.bucket(server.bucketName()).defaultCollection(), TestEvents.serializer())
          .keyPrefix(prefix)
          .gapGracePeriod(SHORT_GRACE)
          .headWindow(WINDOW)
          .saveHook(
              step -> {
                if (step == StreamWriter.Step.CLAIMED && dieAfterClaim.get()) {
                  throw new IllegalStateException("writer dies after its claim");
                }
              })
          .build();

  @BeforeAll
  static void connect() {
    counted = CouchbaseTestServer.shared().connect(env -> env.requestTracer(COUNTER));
  }

  @AfterAll
  static void disconnect() {
    counted.disconnect();
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void a_page_from_the_start_of_a_long_stream_reads_one_window_of_head_pages_and_its_commits() {
    long end = archivedStream("long", 120);
    long pages = head("long").path("a").path(1).asLong();
    assertThat(pages).as("head pages").isGreaterThan(2L * StreamReader.PAGES_READ_WHOLE);
    List<VersionedEvent> all = store.load("long");

    Counted<List<VersionedEvent>> page = counted(() -> store.loadStream("long", 1, 5).events());
    Counted<List<VersionedEvent>> whole = counted(() -> store.loadStream("long", 1).events());

    assertThat(page.value()).containsExactlyElementsOf(all.subList(0, 5));
    assertThat(whole.value()).hasSize((int) end);
    assertThat(page.operations())
        .as("the head, one window of pages, five commits")
        .isEqualTo(Map.of("lookup_in", 1L, "get", StreamReader.PAGES_READ_WHOLE + 5L));
    assertThat(whole.operations())
        .as("an unbounded load: the head, every page, every commit, the claim after the head")
        .isEqualTo(Map.of("lookup_in", 1L, "get", pages + end + 1));
  }

  @Test
  void a_page_from_the_middle_of_a_long_stream_searches_the_pages_and_reads_a_window() {
    archivedStream("long", 120);
    List<VersionedEvent> all = store.load("long");

    Counted<List<VersionedEvent>> page = counted(() -> store.loadStream("long", 60, 7).events());

    assertThat(page.value()).containsExactlyElementsOf(all.subList(59, 66));
    long gets = page.operations().get("get");
    assertThat(page.operations().get("lookup_in")).as("the head").isEqualTo(1);
    assertThat(gets)
        .as("a binary search over the pages, one window of them, seven commits")
        .isLessThanOrEqualTo(8 + StreamReader.PAGES_READ_WHOLE + 7L);
  }

  @Test
  void a_page_past_a_lagging_head_follows_only_the_claims_it_needs() {
    laggingStream("lagging", 12);
    List<VersionedEvent> all = store.load("lagging");
    assertThat(all).hasSize(13);

    Counted<List<VersionedEvent>> page = counted(() -> store.loadStream("lagging", 2, 3).events());

    assertThat(page.value()).containsExactlyElementsOf(all.subList(1, 4));
    assertThat(page.operations())
        .as("the head, the three claims after it, their three commits")
        .isEqualTo(Map.of("lookup_in", 1L, "get", 6L));
  }

  @Test
  void a_load_far_past_a_lagging_head_reads_the_claims_up_to_it_but_only_its_own_commits() {
    laggingStream("lagging", 12);
    List<VersionedEvent> all = store.load("lagging");

    Counted<List<VersionedEvent>> page = counted(() -> store.loadStream("lagging", 13, 1).events());
    Counted<List<VersionedEvent>> rest = counted(() -> store.loadStream("lagging", 12).events());

    assertThat(page.value()).containsExactlyElementsOf(all.subList(12, 13));
    assertThat(page.operations())
        .as("the head, the twelve claims after it, the last one's commit")
        .isEqualTo(Map.of("lookup_in", 1L, "get", 13L));
    assertThat(rest.value()).containsExactlyElementsOf(all.subList(11, 13));
    assertThat(rest.operations())
        .as("an unbounded load: the head and its next claim, the claims, two commits")
        .isEqualTo(Map.of("lookup_in", 1L, "get", 1L + 13 + 2));
  }

  @Test
  void a_missing_page_fails_the_loads_that_need_it_and_no_other() {
    archivedStream("gap", 120);
    List<VersionedEvent> all = store.load("gap");
    collection.remove(keys.headPage("gap", 5));

    assertThat(store.loadStream("gap", 1, 3).events()).containsExactlyElementsOf(all.subList(0, 3));
    assertThatThrownBy(() -> store.loadStream("gap", 1, 40))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("page 5");
    assertThatThrownBy(() -> store.load("gap", 1))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("page 5");
  }

  /** Commits one event, then {@code dead} commits of writers that die after their claims. */
  private void laggingStream(String stream, int dead) {
    store.save(stream, 0, batch(stream, 0, 1));
    awaitHeadArchived(stream, 1, WINDOW);
    dieAfterClaim.set(true);
    try {
      for (long version = 1; version <= dead; version++) {
        long expected = version;
        assertThatThrownBy(() -> store.save(stream, expected, batch(stream, expected, 1)))
            .hasMessageContaining("dies after its claim");
      }
    } finally {
      dieAfterClaim.set(false);
    }
    assertThat(head(stream).path("v").asLong()).as("the head lags").isEqualTo(1);
  }

  /**
   * Writes {@code commits} single-event commits to {@code stream}, waiting for the head to be
   * archived after each, so that its pages hold every commit but the last few; returns the stream's
   * version.
   */
  private long archivedStream(String stream, int commits) {
    for (long version = 0; version < commits; version++) {
      store.save(stream, version, batch(stream, version, 1));
      awaitHeadArchived(stream, version + 1, WINDOW);
    }
    return commits;
  }

  /**
   * What a read returned and the operations it made. A read chains some gets in reactive pipelines,
   * started on the SDK's threads, which the counter cannot attribute to an operation kind: only
   * gets are chained so (the head lookup is sent first, from the calling thread), so the
   * unattributed operations are counted as gets.
   */
  private record Counted<T>(T value, Map<String, Long> operations) {}

  private static <T> Counted<T> counted(Supplier<T> read) {
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
    long unattributedBefore = COUNTER.unattributed();
    COUNTER.start(tally);
    T value;
    try {
      value = read.get();
    } finally {
      COUNTER.stop();
    }
    tally.awaitAnswers(Duration.ofSeconds(30));
    Map<String, Long> operations = new TreeMap<>(tally.byOperation());
    long chained = COUNTER.unattributed() - unattributedBefore;
    if (chained > 0) {
      operations.merge("get", chained, Long::sum);
    }
    return new Counted<>(value, operations);
  }
}
